// Tracks which parts of an actor's state changed during a turn, so a commit
// writes only those parts. State is stored per top-level property (for plain
// object state) or as one value (anything else). Mutations are observed by a
// Proxy; any mutation under a top-level property marks that property dirty.

import { NotStorableError } from "../common/storable.js";

const ROOT = "";

/**
 * Writing `__proto__` changes an object's prototype (or, defined as an own
 * key, cannot be read back from CBOR exactly): refused in the writing turn,
 * so it fails that caller alone instead of the actor's next commit.
 */
function refuseProtoKey(property: string | symbol): void {
	if (property === "__proto__") throw new NotStorableError("state.__proto__", "a '__proto__' key");
}

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

/** State holder with change tracking. One per awake actor. */
export class StateTracker {
	#raw: unknown;
	#objectMode: boolean;
	#dirty = new Set<string>();
	#keysChanged = false;
	#proxies = new WeakMap<object, object>();
	#proxyRootKey = new WeakMap<object, string>();
	#rawOfProxy = new WeakMap<object, object>();
	#rootProxy: unknown;
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
		this.#rootProxy = this.#wrapRoot();
	}

	/** The state as user code sees it (a tracking proxy for objects). */
	get value(): unknown {
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
		const unwrapped = this.#unwrap(next);
		const previous = this.#raw;
		this.#changeCount++;
		if (!this.hasChanges) this.#onFirstChange();
		this.#raw = unwrapped;
		const wasObject = this.#objectMode;
		this.#objectMode = isPlainObject(unwrapped);
		this.#keysChanged = true;
		if (this.#objectMode) {
			if (wasObject && isPlainObject(previous)) {
				for (const key of Object.keys(previous)) this.#dirty.add(key);
			}
			for (const key of Object.keys(unwrapped as object)) this.#dirty.add(key);
		} else {
			this.#dirty.add(ROOT);
		}
		this.#proxies = new WeakMap();
		this.#rootProxy = this.#wrapRoot();
	}

	/** Increases on every mutation; lets callers ask "changed since I last looked?". */
	get changeCount(): number {
		return this.#changeCount;
	}

	/** True when something changed since the last `takeChanges`. */
	get hasChanges(): boolean {
		return this.#dirty.size > 0 || this.#keysChanged;
	}

	/** Returns and resets the changes. */
	takeChanges(): StateChanges {
		const changes = { keys: [...this.#dirty], keysChanged: this.#keysChanged };
		this.#dirty.clear();
		this.#keysChanged = false;
		return changes;
	}

	/** Marks everything dirty (used after a failed commit is retried as a whole). */
	markAllDirty(): void {
		this.#keysChanged = true;
		if (this.#objectMode) for (const key of Object.keys(this.#raw as object)) this.#dirty.add(key);
		else this.#dirty.add(ROOT);
	}

	#markDirty(rootKey: string): void {
		this.#changeCount++;
		if (this.#dirty.size === 0 && !this.#keysChanged) this.#onFirstChange();
		this.#dirty.add(rootKey);
	}

	#markKeysChanged(): void {
		if (this.#dirty.size === 0 && !this.#keysChanged) this.#onFirstChange();
		this.#keysChanged = true;
	}

	/**
	 * Replaces tracking proxies inside `value` by the objects they wrap, so
	 * stored state and encoded outputs never contain proxies (spreading
	 * `c.state` or returning `c.state.list.slice()` copies proxies around).
	 * Raw state never contains proxies, so a proxy's target needs no walk.
	 */
	toRaw<T>(value: T): T {
		return this.#unwrap(value, new Set(), 0);
	}

	#unwrap<T>(value: T, seen: Set<object> = new Set(), depth = 0): T {
		if (typeof value !== "object" || value === null) return value;
		const raw = this.#rawOfProxy.get(value);
		if (raw !== undefined) return raw as T;
		if (depth > 512 || seen.has(value) || Object.isFrozen(value)) return value;
		seen.add(value);
		if (Array.isArray(value)) {
			for (let i = 0; i < value.length; i++) {
				const item = value[i];
				const unwrapped = this.#unwrap(item, seen, depth + 1);
				if (unwrapped !== item) value[i] = unwrapped;
			}
		} else if (value instanceof Map) {
			const entries = [...value];
			const unwrapped = entries.map(
				([k, v]) => [this.#unwrap(k, seen, depth + 1), this.#unwrap(v, seen, depth + 1)] as const,
			);
			if (unwrapped.some(([k, v], i) => k !== entries[i]?.[0] || v !== entries[i]?.[1])) {
				value.clear();
				for (const [k, v] of unwrapped) value.set(k, v);
			}
		} else if (value instanceof Set) {
			const items = [...value];
			const unwrapped = items.map((item) => this.#unwrap(item, seen, depth + 1));
			if (unwrapped.some((item, i) => item !== items[i])) {
				value.clear();
				for (const item of unwrapped) value.add(item);
			}
		} else if (isPlainObject(value)) {
			const record = value as Record<string, unknown>;
			for (const key of Object.keys(record)) {
				const item = record[key];
				const unwrapped = this.#unwrap(item, seen, depth + 1);
				if (unwrapped !== item) record[key] = unwrapped;
			}
		}
		return value;
	}

	#wrapRoot(): unknown {
		const raw = this.#raw;
		if (typeof raw !== "object" || raw === null) return raw;
		if (!this.#objectMode) return this.#wrap(raw, ROOT);
		const tracker = this;
		const proxy = new Proxy(raw as Record<string, unknown>, {
			get(target, property, receiver) {
				const value = Reflect.get(target, property, receiver);
				if (typeof property !== "string" || typeof value !== "object" || value === null)
					return value;
				return tracker.#wrap(value, property);
			},
			set(target, property, value) {
				refuseProtoKey(property);
				if (typeof property === "string") {
					if (!Object.hasOwn(target, property)) tracker.#markKeysChanged();
					tracker.#markDirty(property);
				}
				return Reflect.set(target, property, tracker.#unwrap(value));
			},
			deleteProperty(target, property) {
				if (typeof property === "string" && Object.hasOwn(target, property)) {
					tracker.#markKeysChanged();
					tracker.#markDirty(property);
				}
				return Reflect.deleteProperty(target, property);
			},
			defineProperty(target, property, descriptor) {
				refuseProtoKey(property);
				if (typeof property === "string") {
					if (!Object.hasOwn(target, property)) tracker.#markKeysChanged();
					tracker.#markDirty(property);
				}
				return Reflect.defineProperty(target, property, descriptor);
			},
		});
		this.#rawOfProxy.set(proxy, raw);
		return proxy;
	}

	/** A proxy for `target` that marks `rootKey` dirty on any mutation below it. */
	#wrap(target: object, rootKey: string): object {
		const cached = this.#proxies.get(target);
		if (cached !== undefined && this.#proxyRootKey.get(cached) === rootKey) return cached;
		const tracker = this;
		const exotic = isExotic(target);
		const proxy = new Proxy(target, {
			get(inner, property) {
				if (exotic) {
					// Internal slots require the real object as receiver.
					const value = Reflect.get(inner, property, inner);
					// `constructor` must stay the real class (encoders check it).
					if (typeof value === "function" && property !== "constructor") {
						return (...args: unknown[]) => {
							tracker.#markDirty(rootKey);
							return (value as (...a: unknown[]) => unknown).apply(
								inner,
								args.map((a) => tracker.#unwrap(a)),
							);
						};
					}
					return value;
				}
				const value = Reflect.get(inner, property);
				if (typeof value === "object" && value !== null) return tracker.#wrap(value, rootKey);
				return value;
			},
			set(inner, property, value) {
				refuseProtoKey(property);
				tracker.#markDirty(rootKey);
				return Reflect.set(inner, property, tracker.#unwrap(value));
			},
			deleteProperty(inner, property) {
				tracker.#markDirty(rootKey);
				return Reflect.deleteProperty(inner, property);
			},
			defineProperty(inner, property, descriptor) {
				refuseProtoKey(property);
				tracker.#markDirty(rootKey);
				return Reflect.defineProperty(inner, property, descriptor);
			},
			setPrototypeOf() {
				throw new NotStorableError(rootKey, "given a prototype; state must be plain data");
			},
		});
		if (cached === undefined) this.#proxies.set(target, proxy);
		this.#proxyRootKey.set(proxy, rootKey);
		this.#rawOfProxy.set(proxy, target);
		return proxy;
	}
}
