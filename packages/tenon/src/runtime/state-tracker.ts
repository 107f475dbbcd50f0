// Tracks which parts of an actor's state changed during a turn, so a commit
// writes only those parts. State is stored per top-level property (for plain
// object state) or as one value (anything else). Mutations are observed by a
// Proxy (state-traps.ts); any mutation under a top-level property marks that
// property dirty.

import { NotStorableError } from "../common/storable.js";
import { isCallingUserCode } from "../common/timeouts.js";
import { isPlainObject, RootTraps, trackingProxy } from "./state-traps.js";
import {
	describeKey,
	type Found,
	findUnstoredOwn,
	foundPath,
	foundUp,
	inspectOwn,
	LOCKED,
	refuseNotStorable,
	refuseStateKey,
	statePath,
	UNSTORED,
	unlockedCopy,
} from "./state-write-checks.js";

const ROOT = "";

/** What changed since the last `takeChanges`. */
export interface StateChanges {
	/** `object` state: changed top-level keys; `value` state: always `[""]`. */
	keys: string[];
	/** True when the set or order of top-level keys changed. */
	keysChanged: boolean;
}

/** The root proxy before its first read (a state can be any value, `undefined` included). */
const NO_ROOT: unique symbol = Symbol("no root proxy yet");

/** Proxies of objects below the root, by what they wrap, and back. */
interface NestedProxies {
	proxies: WeakMap<object, object>;
	proxyRootKey: WeakMap<object, string>;
	rawOfProxy: WeakMap<object, object>;
}

/** Changed top-level keys of a clean tracker (never written: a tracker makes its own set on the first change). */
const NO_KEYS: ReadonlySet<string> = new Set();

/**
 * One walk of a value (see `#unwrap`): the objects it saw; the top-level
 * key it is written under (its objects are noted, see unwrapInto); whether
 * it is checked (see `written`), and then the locked objects it copied and
 * the first thing it found that storage would not keep.
 */
interface Walk {
	seen: Set<object>;
	rootKey: string | undefined;
	inspect: boolean;
	copies: Map<object, object> | undefined;
	found: Found | undefined;
}

function newWalk(rootKey: string | undefined, inspect: boolean): Walk {
	return { seen: new Set(), rootKey, inspect, copies: undefined, found: undefined };
}

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
	/**
	 * The key an object was last written under as a whole value, or first
	 * written under inside a value, or handed out from a Map or Set under.
	 */
	#writtenUnder: WeakMap<object, string> | undefined;
	/** The root proxy (or the state itself when it is not an object); `NO_ROOT` until first read. */
	#rootProxy: unknown = NO_ROOT;
	readonly #onFirstChange: () => void;
	#changeCount = 0;
	/** A write made outside user code that storage would not keep (see refuseUnstored). */
	#refused: NotStorableError | undefined;

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
		const fresh = typeof next === "object" && next !== null && !proxy;
		if (fresh && isPlainObject(next)) {
			// A new object (`{ ...c.state, n }`): each key's value unwrapped in one
			// walk, as before, a proxy from another key linking the two.
			const root = this.#writableRoot(next);
			for (const key of Object.keys(root)) root[key] = this.#into(root[key], key, true, key);
			unwrapped = root;
		} else unwrapped = fresh ? this.#walkNew(next, undefined) : this.#unwrap(next, undefined, 0);
		if (isPlainObject(unwrapped)) for (const key of Object.keys(unwrapped)) refuseStateKey(key);
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

	/**
	 * @internal Refuses a write storage would not keep as it is (`what`, see
	 * unstoredProperty): thrown in the writing turn, as refuseNotStorable does.
	 * Outside user code, where a throw could end the process, the next commit
	 * fails with it instead (the commit's own check cannot see such a write,
	 * and before 2026-11-26 it was kept in memory and lost at the next wake).
	 */
	refuseUnstored(what: string | undefined, rootKey: string, property?: string): void {
		if (what === undefined) return;
		this.#refuse(new NotStorableError(statePath(rootKey, property), what));
	}

	#refuse(error: NotStorableError): void {
		if (isCallingUserCode()) throw error;
		this.#refused ??= error;
	}

	/** What the next commit must fail with (see {@link refuseUnstored}); cleared. */
	takeRefusal(): NotStorableError | undefined {
		const refused = this.#refused;
		this.#refused = undefined;
		return refused;
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
	 * same object written under two keys, as a whole or anywhere inside the
	 * values) links the two keys, so a change
	 * through either rewrites both. Before 2026-11-25, `c.state.a = o;
	 * c.state.b = o`, then `c.state.a.n++`, left `b` stored unchanged, and the
	 * change was lost from it at the next wake (a property test found it).
	 * Unchecked: for what a method of a Map or Set is given to look up.
	 */
	unwrapInto<T>(value: T, rootKey: string): T {
		return this.#into(value, rootKey, false);
	}

	/**
	 * @internal `value` as written under `rootKey` at `property` (see
	 * unwrapInto), checked. A locked object in it (see inspectOwn) is stored
	 * as its plain copy, what the next wake gives back: before 2026-11-26 any
	 * read through `Object.freeze({ a: {} })` in state threw. A property
	 * storage would drop or change is refused as by refuseUnstored (a RegExp
	 * match's `index` was lost at the next wake), and what refuseNotStorable
	 * refuses in a value not already in state.
	 */
	written<T>(value: T, rootKey: string, property?: string | symbol): T {
		if (typeof value !== "object" || value === null) {
			refuseNotStorable(value, rootKey, property);
			return value;
		}
		const raw = this.#into(value, rootKey, true, property);
		// A value already in state (read through a proxy) is not walked again: its key is checked.
		const inState = raw !== value && this.#rawOf(value as object, undefined) !== undefined;
		refuseNotStorable(inState ? undefined : raw, rootKey, property);
		return raw;
	}

	/** {@link unwrapInto}, checked (see {@link written}) when `inspect`, but for refuseNotStorable. */
	#into<T>(value: T, rootKey: string, inspect: boolean, property?: string | symbol): T {
		if (typeof value !== "object" || value === null) return value;
		const inState = this.#rawOf(value, rootKey);
		if (inState !== undefined) {
			this.#noteWritten(inState, rootKey);
			return inState as T;
		}
		if (inspect) return this.#walkNew(value, rootKey, property);
		const raw = this.#unwrap(value, newWalk(rootKey, false), 0);
		this.#noteWritten(raw, rootKey);
		return raw;
	}

	/** `value`, not in state, walked to be written under `rootKey` (the whole state when undefined). */
	#walkNew<T extends object>(value: T, rootKey: string | undefined, property?: string | symbol): T {
		const walk = newWalk(rootKey, true);
		const raw = this.#unwrap(value, walk, 0);
		const found = walk.found;
		// A symbol-keyed property is not stored: nothing of it is refused.
		if (found !== undefined && typeof property !== "symbol")
			this.#refuse(new NotStorableError(foundPath(found, rootKey ?? ROOT, property), found.what));
		if (rootKey !== undefined) this.#noteWritten(raw, rootKey);
		return raw;
	}

	/** A new object state, checked as its values are (see {@link written}), or its plain copy. */
	#writableRoot(next: Record<string, unknown>): Record<string, unknown> {
		const walk = newWalk(undefined, true);
		const root = this.#inspect(next, walk, 0) as Record<string, unknown>;
		const found = walk.found;
		if (found !== undefined) this.#refuse(new NotStorableError(foundPath(found, ROOT), found.what));
		return root;
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
		return this.#unwrap(value, undefined, 0);
	}

	/** @internal `value` without proxies, as stored (the proxies' traps call it for values written). */
	unwrap<T>(value: T): T {
		return this.#unwrap(value, undefined, 0);
	}

	/** What a tracking proxy wraps (read from another key, linked to `rootKey`), or undefined. */
	#rawOf(value: object, rootKey: string | undefined): object | undefined {
		const raw = value === this.#rootProxy ? this.#raw : this.#nested?.rawOfProxy.get(value);
		// Read from another key and written under this one: they share it now.
		if (raw !== undefined && rootKey !== undefined) {
			const from = this.#nested?.proxyRootKey.get(value);
			if (from !== undefined && from !== rootKey) this.#link(from, rootKey);
		}
		return raw as object | undefined;
	}

	#unwrap<T>(value: T, walk: Walk | undefined, depth: number): T {
		if (typeof value !== "object" || value === null) return value;
		const raw = this.#rawOf(value, walk?.rootKey);
		if (raw !== undefined) return raw as T;
		// The walk is made only once there is an object to walk.
		walk ??= newWalk(undefined, false);
		const copied = walk.copies?.get(value);
		if (copied !== undefined) return copied as T;
		if (depth > 512 || walk.seen.has(value)) return value;
		let object: object = value;
		if (walk.inspect) object = this.#inspect(object, walk, depth);
		else if (Object.isFrozen(object)) return value; // not stored (an output, a lookup's key)
		walk.seen.add(object);
		// Written under another key before (as a whole, nested in its value, or
		// handed out from its Map): shared now. Every object walked is noted, not
		// only the value's top one: before 2026-11-26 `c.state.b = { byId: { u } };
		// c.state.a = u` left `b` stored without the changes made through `a`.
		const rootKey = walk.rootKey;
		if (rootKey !== undefined) {
			this.#writtenUnder ??= new WeakMap();
			const before = this.#writtenUnder.get(object);
			if (before === undefined) this.#writtenUnder.set(object, rootKey);
			else if (before !== rootKey) this.#link(before, rootKey);
		}
		const below = depth + 1;
		if (Array.isArray(object)) {
			for (let i = 0; i < object.length; i++) {
				const item: unknown = object[i];
				if (typeof item !== "object" || item === null) continue;
				const unwrapped = this.#unwrap(item, walk, below);
				if (unwrapped !== item) object[i] = unwrapped;
				if (walk.found?.depth === below) foundUp(walk.found, `[${i}]`);
			}
		} else if (object instanceof Map) {
			const entries = [...object];
			const unwrapped = entries.map(([k, v]) => {
				const key = this.#unwrap(k, walk, below);
				if (walk.found?.depth === below) foundUp(walk.found, ".<key>");
				const item = this.#unwrap(v, walk, below);
				if (walk.found?.depth === below) foundUp(walk.found, `.get(${describeKey(k)})`);
				return [key, item] as const;
			});
			if (unwrapped.some(([k, v], i) => k !== entries[i]?.[0] || v !== entries[i]?.[1])) {
				object.clear();
				for (const [k, v] of unwrapped) object.set(k, v);
			}
		} else if (object instanceof Set) {
			const items = [...object];
			const unwrapped = items.map((item) => {
				const raw = this.#unwrap(item, walk, below);
				if (walk.found?.depth === below) foundUp(walk.found, ".<item>");
				return raw;
			});
			if (unwrapped.some((item, i) => item !== items[i])) {
				object.clear();
				for (const item of unwrapped) object.add(item);
			}
		} else if (isPlainObject(object)) {
			const record = object as Record<string, unknown>;
			for (const key of Object.keys(record)) {
				const item = record[key];
				if (typeof item !== "object" || item === null) continue;
				const unwrapped = this.#unwrap(item, walk, below);
				if (unwrapped !== item) record[key] = unwrapped;
				if (walk.found?.depth === below) foundUp(walk.found, `.${key.slice(0, 40)}`);
			}
		}
		return object as T;
	}

	/** `object`, new in state, or its plain copy when locked; what storage would not keep of it is found. */
	#inspect(object: object, walk: Walk, depth: number): object {
		const inspected = inspectOwn(object);
		if (inspected === 0) return object;
		if ((inspected & UNSTORED) !== 0 && walk.found === undefined) {
			const found = findUnstoredOwn(object);
			if (found !== undefined) walk.found = { what: found.what, segments: [found.segment], depth };
		}
		if ((inspected & LOCKED) === 0) return object;
		const copy = unlockedCopy(object);
		walk.copies ??= new Map();
		walk.copies.set(object, copy);
		return copy;
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
		const proxy = trackingProxy(this, target, rootKey);
		if (cached === undefined) nested.proxies.set(target, proxy);
		nested.proxyRootKey.set(proxy, rootKey);
		nested.rawOfProxy.set(proxy, target);
		return proxy;
	}
}
