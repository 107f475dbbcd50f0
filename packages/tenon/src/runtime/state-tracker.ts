// Tracks which parts of an actor's state changed during a turn, so a commit
// writes only those parts. State is stored per top-level property (for plain
// object state) or as one value (anything else). Mutations are observed by a
// Proxy; any mutation under a top-level property marks that property dirty.

import { NotStorableError } from "../common/storable.js";
import { callCollectionMethod } from "./state-collections.js";
import { callDateMethod, refuseNotStorable, refuseProtoKey } from "./state-write-checks.js";

const ROOT = "";

/** What changed since the last `takeChanges`. */
export interface StateChanges {
	/** `object` state: changed top-level keys; `value` state: always `[""]`. */
	keys: string[];
	/** True when the set or order of top-level keys changed. */
	keysChanged: boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
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

/** The root proxy before its first read (a state can be any value, `undefined` included). */
const NO_ROOT: unique symbol = Symbol("no root proxy yet");

/** Proxies of objects below the root, by what they wrap, and back. */
interface NestedProxies {
	proxies: WeakMap<object, object>;
	proxyRootKey: WeakMap<object, string>;
	rawOfProxy: WeakMap<object, object>;
}

/**
 * The traps of the root proxy of an object state: one small object per
 * tracker whose methods live on the prototype (a literal of arrow functions
 * was five objects per awake actor).
 */
class RootTraps implements ProxyHandler<Record<string, unknown>> {
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
		const raw = this.#tracker.unwrapInto(value, property);
		// A value already in state is not walked again.
		refuseNotStorable(raw === value ? raw : undefined, property, property);
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
			// Stored as any write is: without proxies (one used to be stored as it was).
			if ("value" in descriptor) {
				descriptor = { ...descriptor, value: this.#tracker.unwrapInto(descriptor.value, property) };
				refuseNotStorable(descriptor.value, property, property);
			} else refuseNotStorable(undefined, property, property);
			if (!Object.hasOwn(target, property)) this.#tracker.markKeysChanged();
			this.#tracker.markDirty(property);
		}
		return Reflect.defineProperty(target, property, descriptor);
	}
}

/** Changed top-level keys of a clean tracker (never written: a tracker makes its own set on the first change). */
const NO_KEYS: ReadonlySet<string> = new Set();

/**
 * State holder with change tracking. One per awake actor. What an idle actor
 * does not use is made on first use: the set of changed keys on the first
 * change, the root proxy when user code first reads the state, the proxy
 * caches when it first reads an object below the root.
 */
export class StateTracker {
	#raw: unknown;
	#objectMode: boolean;
	#dirty: Set<string> | undefined;
	#keysChanged = false;
	/** Proxies of objects below the root, and what they wrap (made on the first such read). */
	#nested: NestedProxies | undefined;
	/**
	 * Top-level keys that share an object (see {@link unwrapInto}): a change
	 * under one rewrites all of them. Made on the first sharing; a wake starts
	 * without (each key's value is decoded apart).
	 */
	#links: Map<string, Set<string>> | undefined;
	/** The key an object was last written under as a whole value, or handed out from a Map or Set under. */
	#writtenUnder: WeakMap<object, string> | undefined;
	/** The root proxy (or the state itself when it is not an object); `NO_ROOT` until first read. */
	#rootProxy: unknown = NO_ROOT;
	readonly #onFirstChange: () => void;
	#changeCount = 0;

	/**
	 * @param onFirstChange called when the tracker goes from clean to dirty, so
	 * writes made outside any turn (a timer callback, say) still get committed.
	 */
	constructor(initial: unknown, onFirstChange: () => void = () => {}) {
		this.#onFirstChange = onFirstChange;
		this.#raw = initial;
		this.#objectMode = isPlainObject(initial);
	}

	/** The state as user code sees it (a tracking proxy for objects). */
	get value(): unknown {
		if (this.#rootProxy === NO_ROOT) this.#rootProxy = this.#wrapRoot();
		return this.#rootProxy;
	}

	/** The state without proxies, for serialization. */
	get raw(): unknown {
		return this.#raw;
	}

	/** True when the state is a plain object stored per top-level key. */
	get objectMode(): boolean {
		return this.#objectMode;
	}

	/** Replaces the whole state (`c.state = next`). */
	replace(next: unknown): void {
		let unwrapped: unknown;
		const proxy =
			typeof next === "object" &&
			next !== null &&
			(next === this.#rootProxy || this.#nested?.rawOfProxy.has(next) === true);
		if (!proxy && isPlainObject(next)) {
			// A new object (`{ ...c.state, n }`): each key's value unwrapped in one
			// walk, as before, a proxy from another key linking the two.
			for (const key of Object.keys(next)) next[key] = this.unwrapInto(next[key], key);
			unwrapped = next;
		} else unwrapped = this.#unwrap(next);
		refuseNotStorable(unwrapped, ROOT);
		if (isPlainObject(unwrapped)) {
			// Its keys' values, written anew: one held by two keys links them.
			const under = new Map<object, string>();
			for (const key of Object.keys(unwrapped)) {
				const value = unwrapped[key];
				if (typeof value !== "object" || value === null) continue;
				const other = under.get(value);
				if (other !== undefined) this.#link(other, key);
				else under.set(value, key);
				this.#noteWritten(value, key);
			}
		}
		const previous = this.#raw;
		this.#changeCount++;
		if (!this.hasChanges) this.#onFirstChange();
		this.#raw = unwrapped;
		const wasObject = this.#objectMode;
		this.#objectMode = isPlainObject(unwrapped);
		this.#keysChanged = true;
		const dirty = this.#dirtyKeys();
		if (this.#objectMode) {
			if (wasObject && isPlainObject(previous)) {
				for (const key of Object.keys(previous)) dirty.add(key);
			}
			for (const key of Object.keys(unwrapped as object)) dirty.add(key);
		} else {
			dirty.add(ROOT);
		}
		// Proxies of the old state are not reused for the new one; those user
		// code still holds keep unwrapping to what they wrap.
		const oldRoot = this.#rootProxy;
		if (typeof oldRoot === "object" && oldRoot !== null && oldRoot !== previous)
			this.#nestedProxies().rawOfProxy.set(oldRoot, previous as object);
		if (this.#nested !== undefined) this.#nested.proxies = new WeakMap();
		this.#rootProxy = NO_ROOT;
	}

	#dirtyKeys(): Set<string> {
		this.#dirty ??= new Set();
		return this.#dirty;
	}

	/** Increases on every mutation; lets callers ask "changed since I last looked?". */
	get changeCount(): number {
		return this.#changeCount;
	}

	/** True when something changed since the last `takeChanges`. */
	get hasChanges(): boolean {
		return (this.#dirty?.size ?? 0) > 0 || this.#keysChanged;
	}

	/** Returns and resets the changes. */
	takeChanges(): StateChanges {
		const changes = { keys: [...(this.#dirty ?? NO_KEYS)], keysChanged: this.#keysChanged };
		// Dropped, not cleared: a cleared set keeps a table of its largest size,
		// and an idle actor would keep it for nothing (about 650 bytes).
		this.#dirty = undefined;
		this.#keysChanged = false;
		return changes;
	}

	/** Marks everything dirty (used after a failed commit is retried as a whole). */
	markAllDirty(): void {
		this.#keysChanged = true;
		const dirty = this.#dirtyKeys();
		if (this.#objectMode) for (const key of Object.keys(this.#raw as object)) dirty.add(key);
		else dirty.add(ROOT);
	}

	/** @internal A mutation below top-level key `rootKey` (the proxies' traps call it). */
	markDirty(rootKey: string): void {
		this.#changeCount++;
		if (!this.hasChanges) this.#onFirstChange();
		const dirty = this.#dirtyKeys();
		dirty.add(rootKey);
		const links = this.#links;
		if (links === undefined || !links.has(rootKey)) return;
		// Every key sharing an object with this one, directly or through others.
		const next = [rootKey];
		for (let key = next.pop(); key !== undefined; key = next.pop())
			for (const linked of links.get(key) ?? NO_KEYS)
				if (!dirty.has(linked)) {
					dirty.add(linked);
					next.push(linked);
				}
	}

	/**
	 * @internal `value` without proxies, written under top-level key
	 * `rootKey`. State is stored per top-level key: an object written under a
	 * second key (a proxy read from another key, anywhere in `value`, or the
	 * same object written under two keys) links the two keys, so a change
	 * through either rewrites both. Before 2026-11-25, `c.state.a = o;
	 * c.state.b = o`, then `c.state.a.n++`, left `b` stored unchanged, and the
	 * change was lost from it at the next wake (a property test found it).
	 */
	unwrapInto<T>(value: T, rootKey: string): T {
		if (typeof value !== "object" || value === null) return value;
		const raw = this.#unwrap(value, undefined, 0, rootKey);
		if (typeof raw === "object" && raw !== null) this.#noteWritten(raw, rootKey);
		return raw;
	}

	/** `raw` is written as a whole value under `rootKey`: under another key before, the two are linked. */
	#noteWritten(raw: object, rootKey: string): void {
		this.#writtenUnder ??= new WeakMap();
		const before = this.#writtenUnder.get(raw);
		if (before !== undefined && before !== rootKey) this.#link(before, rootKey);
		this.#writtenUnder.set(raw, rootKey);
	}

	/** @internal An object handed out from a Map or Set under `rootKey` (its methods give raw values). */
	handedOut(raw: unknown, rootKey: string): void {
		if (typeof raw !== "object" || raw === null) return;
		this.#writtenUnder ??= new WeakMap();
		if (!this.#writtenUnder.has(raw)) this.#writtenUnder.set(raw, rootKey);
	}

	#link(a: string, b: string): void {
		if (a === b) return;
		this.#links ??= new Map();
		for (const [from, to] of [
			[a, b],
			[b, a],
		] as const) {
			const set = this.#links.get(from);
			if (set === undefined) this.#links.set(from, new Set([to]));
			else set.add(to);
		}
	}

	/** @internal A top-level key was added or removed (the root proxy's traps call it). */
	markKeysChanged(): void {
		if (!this.hasChanges) this.#onFirstChange();
		this.#keysChanged = true;
	}

	/**
	 * Replaces tracking proxies inside `value` by the objects they wrap, so
	 * stored state and encoded outputs never contain proxies (spreading
	 * `c.state` or returning `c.state.list.slice()` copies proxies around).
	 * Raw state never contains proxies, so a proxy's target needs no walk.
	 */
	toRaw<T>(value: T): T {
		return this.#unwrap(value);
	}

	/** @internal `value` without proxies, as stored (the proxies' traps call it for values written). */
	unwrap<T>(value: T): T {
		return this.#unwrap(value);
	}

	#unwrap<T>(value: T, visited?: Set<object>, depth = 0, rootKey?: string): T {
		if (typeof value !== "object" || value === null) return value;
		const raw = value === this.#rootProxy ? this.#raw : this.#nested?.rawOfProxy.get(value);
		if (raw !== undefined) {
			// Read from another key and written under this one: they share it now.
			if (rootKey !== undefined) {
				const from = this.#nested?.proxyRootKey.get(value);
				if (from !== undefined && from !== rootKey) this.#link(from, rootKey);
			}
			return raw as T;
		}
		// The visited set is made only once there is an object to walk.
		const seen = visited ?? new Set<object>();
		if (depth > 512 || seen.has(value) || Object.isFrozen(value)) return value;
		seen.add(value);
		// Written under another key as a whole (or handed out from its Map): shared now.
		if (rootKey !== undefined && this.#writtenUnder !== undefined) {
			const before = this.#writtenUnder.get(value);
			if (before !== undefined && before !== rootKey) this.#link(before, rootKey);
		}
		if (Array.isArray(value)) {
			for (let i = 0; i < value.length; i++) {
				const item = value[i];
				const unwrapped = this.#unwrap(item, seen, depth + 1, rootKey);
				if (unwrapped !== item) value[i] = unwrapped;
			}
		} else if (value instanceof Map) {
			const entries = [...value];
			const unwrapped = entries.map(
				([k, v]) =>
					[
						this.#unwrap(k, seen, depth + 1, rootKey),
						this.#unwrap(v, seen, depth + 1, rootKey),
					] as const,
			);
			if (unwrapped.some(([k, v], i) => k !== entries[i]?.[0] || v !== entries[i]?.[1])) {
				value.clear();
				for (const [k, v] of unwrapped) value.set(k, v);
			}
		} else if (value instanceof Set) {
			const items = [...value];
			const unwrapped = items.map((item) => this.#unwrap(item, seen, depth + 1, rootKey));
			if (unwrapped.some((item, i) => item !== items[i])) {
				value.clear();
				for (const item of unwrapped) value.add(item);
			}
		} else if (isPlainObject(value)) {
			const record = value as Record<string, unknown>;
			for (const key of Object.keys(record)) {
				const item = record[key];
				const unwrapped = this.#unwrap(item, seen, depth + 1, rootKey);
				if (unwrapped !== item) record[key] = unwrapped;
			}
		}
		return value;
	}

	#wrapRoot(): unknown {
		const raw = this.#raw;
		if (typeof raw !== "object" || raw === null) return raw;
		if (!this.#objectMode) return this.wrapBelow(raw, ROOT);
		return new Proxy(raw as Record<string, unknown>, new RootTraps(this));
	}

	/** The proxy caches, made on the first read of an object below the root. */
	#nestedProxies(): NestedProxies {
		this.#nested ??= {
			proxies: new WeakMap(),
			proxyRootKey: new WeakMap(),
			rawOfProxy: new WeakMap(),
		};
		return this.#nested;
	}

	/** @internal A proxy for `target` that marks `rootKey` dirty on any mutation below it. */
	wrapBelow(target: object, rootKey: string): object {
		const nested = this.#nestedProxies();
		const cached = nested.proxies.get(target);
		if (cached !== undefined && nested.proxyRootKey.get(cached) === rootKey) return cached;
		const tracker = this;
		const exotic = isExotic(target);
		const wrap = (value: unknown) =>
			typeof value === "object" && value !== null ? tracker.wrapBelow(value, rootKey) : value;
		const proxy = new Proxy(target, {
			get(inner, property) {
				if (exotic) {
					// Internal slots require the real object as receiver.
					const value = Reflect.get(inner, property, inner);
					// `constructor` must stay the real class (encoders check it).
					if (typeof value === "function" && property !== "constructor") {
						return (...args: unknown[]) => {
							const raw = args.map((a) => tracker.unwrapInto(a, rootKey));
							// What a Map or Set is given to keep: checked as any write is.
							if (
								(property === "set" && inner instanceof Map) ||
								(property === "add" && inner instanceof Set)
							)
								for (const item of raw) refuseNotStorable(item, rootKey);
							tracker.markDirty(rootKey);
							if (inner instanceof Date)
								return callDateMethod(inner, property, value, raw, rootKey);
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
					return value;
				}
				const value = Reflect.get(inner, property);
				if (typeof value === "object" && value !== null) return tracker.wrapBelow(value, rootKey);
				return value;
			},
			set(inner, property, value) {
				refuseProtoKey(property);
				const raw = tracker.unwrapInto(value, rootKey);
				// A value already in state, moved (`shift`, `sort`), is not walked again: its key is.
				refuseNotStorable(raw === value ? raw : undefined, rootKey, property);
				tracker.markDirty(rootKey);
				return Reflect.set(inner, property, raw);
			},
			deleteProperty(inner, property) {
				tracker.markDirty(rootKey);
				return Reflect.deleteProperty(inner, property);
			},
			defineProperty(inner, property, descriptor) {
				refuseProtoKey(property);
				const stored =
					"value" in descriptor
						? { ...descriptor, value: tracker.unwrapInto(descriptor.value, rootKey) }
						: descriptor;
				refuseNotStorable(stored.value, rootKey, property);
				tracker.markDirty(rootKey);
				return Reflect.defineProperty(inner, property, stored);
			},
			setPrototypeOf() {
				throw new NotStorableError(rootKey, "given a prototype; state must be plain data");
			},
		});
		if (cached === undefined) nested.proxies.set(target, proxy);
		nested.proxyRootKey.set(proxy, rootKey);
		nested.rawOfProxy.set(proxy, target);
		return proxy;
	}
}
