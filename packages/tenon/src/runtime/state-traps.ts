// The traps of the proxies through which user code reads and writes state:
// each write is checked (state-write-checks.ts) and marks the top-level key
// it went under as changed (state-tracker.ts).

import { NotStorableError } from "../common/storable.js";
import { callCollectionMethod } from "./state-collections.js";
import type { StateTracker } from "./state-tracker.js";
import {
	callDateMethod,
	refuseCycle,
	refuseNotStorable,
	refuseProtoKey,
	refuseStateKey,
	statePath,
	unstoredProperty,
} from "./state-write-checks.js";

/** True for an object with `Object.prototype` or no prototype. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
	if (typeof value !== "object" || value === null) return false;
	const proto = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}

/**
 * Objects whose internal slots a Proxy cannot reach (Map, Set, Date, typed
 * arrays): their methods run against the real object, and any method call
 * counts as a possible mutation. Over-counting costs one extra write; missing
 * a mutation would lose data.
 */
function isExotic(value: object): boolean {
	return (
		value instanceof Map ||
		value instanceof Set ||
		value instanceof Date ||
		ArrayBuffer.isView(value)
	);
}

/** Map and Set methods that hand out their values (see `handedOut`). */
const ITERATING = new Set<string | symbol>(["values", "entries", "forEach", Symbol.iterator]);

/** Why freezing, sealing or `Object.preventExtensions` on state is refused. */
const FROZEN =
	"frozen, sealed or made non-extensible; state stays writable (it is stored as plain data)";

/**
 * The traps of the root proxy of an object state: one small object per
 * tracker whose methods live on the prototype (a literal of arrow functions
 * was five objects per awake actor).
 */
export class RootTraps implements ProxyHandler<Record<string, unknown>> {
	readonly #tracker: StateTracker;

	constructor(tracker: StateTracker) {
		this.#tracker = tracker;
	}

	get(target: Record<string, unknown>, property: string | symbol, receiver: unknown): unknown {
		const value = Reflect.get(target, property, receiver);
		if (typeof property !== "string" || typeof value !== "object" || value === null) return value;
		return this.#tracker.wrapBelow(value, property);
	}

	set(target: Record<string, unknown>, property: string | symbol, value: unknown): boolean {
		refuseProtoKey(property);
		if (typeof property !== "string")
			return Reflect.set(target, property, this.#tracker.unwrap(value));
		refuseStateKey(property);
		const raw = this.#tracker.written(value, property, property);
		refuseCycle(raw, target, property, property);
		if (!Object.hasOwn(target, property)) this.#tracker.markKeysChanged();
		this.#tracker.markDirty(property);
		return Reflect.set(target, property, raw);
	}

	deleteProperty(target: Record<string, unknown>, property: string | symbol): boolean {
		if (typeof property === "string" && Object.hasOwn(target, property)) {
			this.#tracker.markKeysChanged();
			this.#tracker.markDirty(property);
		}
		return Reflect.deleteProperty(target, property);
	}

	defineProperty(
		target: Record<string, unknown>,
		property: string | symbol,
		descriptor: PropertyDescriptor,
	): boolean {
		refuseProtoKey(property);
		if (typeof property === "string") {
			refuseStateKey(property);
			this.#tracker.refuseUnstored(unstoredProperty(target, property, descriptor), property);
			// Stored as any write is: without proxies (one used to be stored as it was).
			if ("value" in descriptor) {
				descriptor = {
					...descriptor,
					value: this.#tracker.written(descriptor.value, property, property),
				};
				refuseCycle(descriptor.value, target, property, property);
			}
			if (!Object.hasOwn(target, property)) this.#tracker.markKeysChanged();
			this.#tracker.markDirty(property);
		}
		return Reflect.defineProperty(target, property, descriptor);
	}

	setPrototypeOf(): boolean {
		throw new NotStorableError("state", "given a prototype");
	}

	preventExtensions(): boolean {
		throw new NotStorableError("state", FROZEN);
	}
}

/**
 * A proxy for `target`, an object below the root, that marks `rootKey`
 * dirty on any mutation and checks what is written (the tracker caches it).
 */
export function trackingProxy(tracker: StateTracker, target: object, rootKey: string): object {
	const exotic = isExotic(target);
	// Plain objects take any property; arrays and exotic objects only what storage keeps.
	const anyProperty = isPlainObject(target);
	const wrap = (value: unknown) =>
		typeof value === "object" && value !== null ? tracker.wrapBelow(value, rootKey) : value;
	const proxy: object = new Proxy(target, {
		get(inner, property) {
			if (exotic) {
				// Internal slots require the real object as receiver.
				const value = Reflect.get(inner, property, inner);
				// `constructor` must stay the real class (encoders check it).
				if (typeof value === "function" && property !== "constructor") {
					return (...args: unknown[]) => {
						// What a Map or Set is given to keep: checked as any write is.
						const keeps =
							(property === "set" && inner instanceof Map) ||
							(property === "add" && inner instanceof Set);
						const raw = args.map((a) =>
							keeps ? tracker.written(a, rootKey) : tracker.unwrapInto(a, rootKey),
						);
						if (keeps) for (const item of raw) refuseCycle(item, inner, rootKey);
						tracker.markDirty(rootKey);
						if (inner instanceof Date) return callDateMethod(inner, property, value, raw, rootKey);
						const method = value as (...a: unknown[]) => unknown;
						if (!(inner instanceof Map || inner instanceof Set)) return method.apply(inner, raw);
						// The objects a Map or Set holds, handed out (as proxies): one written under
						// another key links them.
						if (property === "get" && inner instanceof Map)
							tracker.handedOut(inner.get(raw[0]), rootKey);
						else if (ITERATING.has(property))
							for (const item of inner.values()) tracker.handedOut(item, rootKey);
						return callCollectionMethod(inner, property, method, raw, wrap, proxy);
					};
				}
				// Bytes written through the buffer bypass the proxy: reading it counts as
				// a write, as a method call does (before 2026-11-26 such writes were lost).
				if (property === "buffer" && ArrayBuffer.isView(inner)) tracker.markDirty(rootKey);
				return value;
			}
			const value = Reflect.get(inner, property);
			if (typeof value === "object" && value !== null) return tracker.wrapBelow(value, rootKey);
			return value;
		},
		set(inner, property, value) {
			refuseProtoKey(property);
			if (!anyProperty && typeof property === "string")
				tracker.refuseUnstored(unstoredProperty(inner, property), rootKey, property);
			// A value already in state, moved (`shift`, `sort`), is not walked again: its key is.
			const raw = tracker.written(value, rootKey, property);
			if (typeof property === "string") refuseCycle(raw, inner, rootKey, property);
			tracker.markDirty(rootKey);
			return Reflect.set(inner, property, raw);
		},
		deleteProperty(inner, property) {
			tracker.markDirty(rootKey);
			return Reflect.deleteProperty(inner, property);
		},
		defineProperty(inner, property, descriptor) {
			refuseProtoKey(property);
			if (typeof property === "string")
				tracker.refuseUnstored(unstoredProperty(inner, property, descriptor), rootKey, property);
			let stored = descriptor;
			if ("value" in descriptor)
				stored = { ...descriptor, value: tracker.written(descriptor.value, rootKey, property) };
			else refuseNotStorable(undefined, rootKey, property);
			if (typeof property === "string") refuseCycle(stored.value, inner, rootKey, property);
			tracker.markDirty(rootKey);
			return Reflect.defineProperty(inner, property, stored);
		},
		setPrototypeOf() {
			throw new NotStorableError(statePath(rootKey), "given a prototype");
		},
		preventExtensions() {
			throw new NotStorableError(statePath(rootKey), FROZEN);
		},
	});
	return proxy;
}
