// What the state tracker refuses in the turn that writes it, before the
// write happens: it fails that caller alone, where the same value found by
// the commit would reset the actor and fail every turn of that commit. And
// what it stores as a plain copy instead (a frozen object, see inspectOwn).

import { NotStorableError } from "../common/storable.js";
import { isCallingUserCode } from "../common/timeouts.js";
import { utf8Length } from "../protocol/bytes.js";
import { findNotPlain } from "../protocol/plain-data.js";
import { MAX_STATE_KEY_BYTES } from "../storage/actor-keys.js";

/** The whole state, in object mode or not. */
const ROOT = "";

/**
 * Writing `__proto__` changes an object's prototype (or, defined as an own
 * key, cannot be read back from CBOR exactly): refused in the writing turn,
 * so it fails that caller alone instead of the actor's next commit.
 */
export function refuseProtoKey(property: string | symbol): void {
	if (property === "__proto__") throw new NotStorableError("state.__proto__", "a '__proto__' key");
}

/**
 * Where a write went, for an error: `state.key`, and `….property` when it
 * went into an object below that key (its path from the root is not kept).
 */
export function statePath(rootKey: string, property?: string): string {
	const at = rootKey === ROOT ? "state" : `state.${rootKey.slice(0, 40)}`;
	return property !== undefined && property !== rootKey ? `${at}….${property.slice(0, 40)}` : at;
}

/** What a refused top-level key is, in the write's error and in the commit's. */
export const BAD_STATE_KEY = `a top-level key that is empty or longer than ${MAX_STATE_KEY_BYTES} bytes`;

/** True for a top-level key storage can hold: not empty, at most MAX_STATE_KEY_BYTES of UTF-8. */
export function isStorableStateKey(key: string): boolean {
	// A UTF-16 unit is at most 3 bytes of UTF-8: most keys need no count.
	return (
		key !== "" && (key.length * 3 <= MAX_STATE_KEY_BYTES || utf8Length(key) <= MAX_STATE_KEY_BYTES)
	);
}

/**
 * Refuses, in the writing turn (see refuseNotStorable), a top-level key
 * storage cannot hold. Before 2026-11-26 only the commit refused one: every
 * turn of that commit failed and the actor was reset.
 */
export function refuseStateKey(key: string): void {
	if (isStorableStateKey(key) || !isCallingUserCode()) return;
	throw new NotStorableError(`state.${key.slice(0, 40)}`, BAD_STATE_KEY);
}

/**
 * Refuses, in the writing turn (see refuseNotStorable), a write of `raw` into
 * `target` that closes a cycle: `target` is `raw` or can be reached from it
 * (`o.self = o`, `o.child = { parent: o }`, `list.push(list)`). The value's
 * own check cannot see it (the cycle exists only once the write is made), so
 * before 2026-11-26 the commit found it: every turn of that commit failed and
 * the actor was reset. Walks `raw` only, a value already in state included
 * (an object moved inside an array is walked again).
 */
export function refuseCycle(
	raw: unknown,
	target: object,
	rootKey: string,
	property?: string,
): void {
	if (typeof raw !== "object" || raw === null || !isCallingUserCode()) return;
	if (reaches(raw, target))
		throw new NotStorableError(statePath(rootKey, property), "a circular reference");
}

/** Objects {@link reaches} visits as a tree, before it walks again keeping a set of those it saw. */
const TREE_VISITS = 1_000;

/** Nesting beyond what plain data allows (findNotPlain refuses it): a walk as a tree gets there through a cycle. */
const TOO_DEEP = 600;

/** True when `target` is `value` or can be reached from it (through arrays, plain objects, Maps and Sets). */
function reaches(value: object, target: object): boolean {
	// State is a tree but for shared parts: walked as one, with no set, unless
	// the walk is long (a large value, or a shared graph larger as a tree).
	const budget = { visits: 0, seen: undefined as Set<object> | undefined };
	const found = search(value, target, budget, 0);
	if (found !== undefined) return found;
	budget.seen = new Set();
	return search(value, target, budget, 0) === true;
}

/** {@link reaches}, or undefined when the walk as a tree ran out of visits. */
function search(
	object: object,
	target: object,
	budget: { visits: number; seen: Set<object> | undefined },
	depth: number,
): boolean | undefined {
	if (object === target) return true;
	if (budget.seen === undefined) {
		if (++budget.visits > TREE_VISITS || depth > TOO_DEEP) return undefined;
	} else {
		// Deeper than plain data may be: the value's own check or the commit's refuses it.
		if (budget.seen.has(object) || depth > TOO_DEEP) return false;
		budget.seen.add(object);
	}
	if (Array.isArray(object)) {
		for (let i = 0; i < object.length; i++) {
			const item: unknown = object[i];
			if (typeof item !== "object" || item === null) continue;
			const found = search(item, target, budget, depth + 1);
			if (found !== false) return found;
		}
	} else if (object instanceof Map) {
		for (const [key, item] of object) {
			if (typeof key === "object" && key !== null) {
				const found = search(key, target, budget, depth + 1);
				if (found !== false) return found;
			}
			if (typeof item === "object" && item !== null) {
				const found = search(item, target, budget, depth + 1);
				if (found !== false) return found;
			}
		}
	} else if (object instanceof Set) {
		for (const item of object) {
			if (typeof item !== "object" || item === null) continue;
			const found = search(item, target, budget, depth + 1);
			if (found !== false) return found;
		}
	} else if (isPlainRecord(object)) {
		for (const key in object) {
			if (!Object.hasOwn(object, key)) continue;
			const item = object[key];
			if (typeof item !== "object" || item === null) continue;
			const found = search(item, target, budget, depth + 1);
			if (found !== false) return found;
		}
	}
	return false;
}

function isPlainRecord(value: object): value is Record<string, unknown> {
	const proto = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}

/**
 * What a property written on `target` is when storage would not keep it, or
 * undefined when it would. Storage keeps an array's items, a typed array's
 * bytes, a Map's or Set's entries and a Date's time, not properties set on
 * them; and it keeps only plain data properties (a getter is stored as the
 * value it gave, a non-enumerable property not at all, and both come back
 * plain at the next wake).
 */
export function unstoredProperty(
	target: object,
	property: string,
	descriptor?: PropertyDescriptor,
): string | undefined {
	if (Array.isArray(target)) {
		// An array's `length` is not enumerable, and is what `push` and `splice` write.
		if (property === "length") return undefined;
		if (!isArrayIndex(property))
			return "a named property on an array (storage keeps its items only)";
	} else if (ArrayBuffer.isView(target)) {
		if (!isArrayIndex(property))
			return "a named property on a typed array (storage keeps its bytes only)";
	} else if (!isPlainRecord(target)) {
		return `a property of a ${target.constructor?.name ?? "collection"} (storage keeps its contents only)`;
	}
	if (descriptor === undefined) return undefined;
	if ("get" in descriptor || "set" in descriptor)
		return "an accessor property (storage keeps the value it gives, as a plain property)";
	// A field left out keeps what the property has, or is false for a new one.
	const current = Reflect.getOwnPropertyDescriptor(target, property);
	for (const field of ["enumerable", "writable", "configurable"] as const)
		if ((descriptor[field] ?? current?.[field] ?? false) !== true)
			return `a property that is not ${field} (storage keeps plain properties only)`;
	return undefined;
}

/** True for an array index: a canonical integer from 0 to 2 ** 32 - 2. */
function isArrayIndex(key: string): boolean {
	const length = key.length;
	if (length === 0 || length > 10) return false;
	if (key.charCodeAt(0) === 48) return length === 1; // "0"; no leading zeros
	for (let i = 0; i < length; i++) {
		const code = key.charCodeAt(i);
		if (code < 48 || code > 57) return false;
	}
	return length < 10 || Number(key) < 4_294_967_295;
}

/** {@link inspectOwn}: frozen, sealed, non-extensible, or with a property not writable, not configurable or an accessor. */
export const LOCKED = 1;
/** {@link inspectOwn}: with a property storage would drop or change (see {@link findUnstoredOwn}). */
export const UNSTORED = 2;

/**
 * What an object of a value written into state has on its own that storage
 * does not keep as it is: {@link LOCKED} (it is stored as a plain, writable
 * copy, see {@link unlockedCopy}: a read through a tracking proxy of a locked
 * property must give the very object it holds, not a proxy of it; and
 * frozen or not, the next wake gives back a writable object), and
 * {@link UNSTORED} (refused). Plain objects, arrays, Map, Set and Date
 * exactly; anything else is left to findNotPlain. Not seen, as finding them
 * would cost a walk of every key or item: named properties of a typed array,
 * a named array property that is not enumerable (unless the array has holes
 * or other such keys), and an array item that holds a primitive through an
 * accessor.
 */
export function inspectOwn(object: object): number {
	let found = Object.isExtensible(object) ? 0 : LOCKED;
	const proto = Object.getPrototypeOf(object);
	if (Array.isArray(object)) {
		if (proto !== Array.prototype) return 0;
		const length = object.length;
		// Listing an array's keys is what finding its named ones costs (about
		// 10 ns an item); their descriptors are read only when the count or the
		// last key is not what an array of items alone has.
		const keys = Object.keys(object);
		const last = keys[keys.length - 1];
		if (keys.length !== length || (last !== undefined && !isArrayIndex(last)))
			return found | inspectProperties(object, Reflect.ownKeys(object));
		// An item that is an object, locked, would be read as the object itself.
		for (let i = 0; i < length; i++) {
			const item: unknown = object[i];
			if (typeof item === "object" && item !== null)
				found |= inspectProperty(Reflect.getOwnPropertyDescriptor(object, i));
		}
		return found;
	}
	if (proto === Map.prototype || proto === Set.prototype || proto === Date.prototype)
		return Object.getOwnPropertyNames(object).length > 0 ? found | UNSTORED : found;
	if (proto !== Object.prototype && proto !== null) return 0;
	return found | inspectProperties(object, Object.getOwnPropertyNames(object));
}

function inspectProperties(object: object, keys: (string | symbol)[]): number {
	let found = 0;
	const array = Array.isArray(object);
	for (const key of keys) {
		if (typeof key !== "string" || (array && key === "length")) continue;
		// Not returned at once: a refused value written outside user code is kept
		// until the commit fails, and must be readable until then.
		if (array && !isArrayIndex(key)) found |= UNSTORED;
		else found |= inspectProperty(Reflect.getOwnPropertyDescriptor(object, key));
	}
	return found;
}

function inspectProperty(descriptor: PropertyDescriptor | undefined): number {
	if (descriptor === undefined) return 0;
	// An accessor is copied too: the walk writes what it unwraps into what it walks.
	if (!("value" in descriptor)) return UNSTORED | LOCKED;
	const found = descriptor.enumerable === true ? 0 : UNSTORED;
	return descriptor.writable === true && descriptor.configurable === true ? found : found | LOCKED;
}

/**
 * The first own property of `object` that {@link inspectOwn} found
 * {@link UNSTORED}: its path segment and what it is.
 */
export function findUnstoredOwn(object: object): { segment: string; what: string } | undefined {
	for (const key of Reflect.ownKeys(object)) {
		if (typeof key !== "string") continue;
		const descriptor = Reflect.getOwnPropertyDescriptor(object, key);
		// Locked is not what is refused: a locked property is stored unlocked.
		const unlocked =
			descriptor !== undefined && "value" in descriptor
				? { ...descriptor, writable: true, configurable: true }
				: descriptor;
		const what = unstoredProperty(object, key, unlocked);
		if (what === undefined) continue;
		const segment =
			Array.isArray(object) && isArrayIndex(key) ? `[${key}]` : `.${key.slice(0, 40)}`;
		return { segment, what };
	}
	return undefined;
}

/**
 * A copy of a {@link LOCKED} object (plain, an array, a Map, a Set or a
 * Date) that is neither frozen, sealed nor non-extensible, its properties
 * writable and configurable data properties: what the next wake gives back.
 * What storage would not keep of it (refused) is copied as it is, but for an
 * accessor, read.
 */
export function unlockedCopy(object: object): object {
	if (Array.isArray(object)) return Array.prototype.slice.call(object);
	if (object instanceof Map) return new Map(object);
	if (object instanceof Set) return new Set(object);
	if (object instanceof Date) return new Date(object.getTime());
	const copy: object = Object.create(Object.getPrototypeOf(object));
	// Defined, not assigned: an own `__proto__` key stays a key (findNotPlain refuses it).
	for (const key of Reflect.ownKeys(object)) {
		const { enumerable, ...descriptor } = Reflect.getOwnPropertyDescriptor(object, key) ?? {};
		const value = "value" in descriptor ? descriptor.value : Reflect.get(object, key);
		Reflect.defineProperty(copy, key, {
			value,
			enumerable: enumerable === true,
			writable: true,
			configurable: true,
		});
	}
	return copy;
}

/**
 * `value` with every {@link LOCKED} object in it (plain objects, arrays, Map,
 * Set, Date) replaced by its plain copy, nothing refused: what a tracker may
 * start from (a connection's state from `createConnState`, see
 * ConnectionImpl), as a locked value written into state is stored. The
 * value itself when nothing in it is locked.
 */
export function unlockedDeep<T>(value: T, seen = new Map<object, object>()): T {
	if (typeof value !== "object" || value === null) return value;
	const done = seen.get(value);
	if (done !== undefined) return done as T;
	const object: object = (inspectOwn(value) & LOCKED) === 0 ? value : unlockedCopy(value);
	seen.set(value, object);
	if (object instanceof Map) {
		for (const [key, item] of object) {
			const copy = unlockedDeep(item, seen);
			if (copy !== item) object.set(key, copy);
		}
	} else if (Array.isArray(object) || isPlainRecord(object)) {
		const record = object as Record<string, unknown>;
		for (const key of Object.keys(record)) {
			const item = record[key];
			const copy = unlockedDeep(item, seen);
			if (copy !== item) record[key] = copy;
		}
	}
	return object as T;
}

/**
 * Refuses, in the writing turn, what cannot be stored exactly (see
 * findNotPlain): a class instance, a function, a string with a lone
 * surrogate, a Date CBOR cannot hold to the millisecond... It then fails that
 * caller alone, and the write does not happen.
 *
 * Only while Tenon calls user code synchronously (an action or a hook up to
 * its first `await`; see isCallingUserCode): elsewhere (after an `await`, in
 * a timer the app set) the throw could end the process, so the write is left
 * to the commit's check as before. That one refuses only what cannot be
 * encoded at all (a lone surrogate reads back as U+FFFD there), and what it
 * refuses resets the actor: every turn of that commit fails with it.
 *
 * @param rootKey the top-level key written under ("" for the whole state)
 * @param property the key written in a nested object (its path from the root is not kept)
 */
export function refuseNotStorable(
	value: unknown,
	rootKey: string,
	property?: string | symbol,
): void {
	if (typeof property === "symbol" || !isCallingUserCode()) return; // not stored; not to throw
	const badKey = property !== undefined && !property.isWellFormed();
	const found = badKey ? undefined : findNotPlain(value, "");
	if (!badKey && found === undefined) return;
	const at = statePath(rootKey, property);
	if (badKey) throw new NotStorableError(at, "a key with a lone surrogate (it has no UTF-8 form)");
	throw new NotStorableError(
		at + (found as { path: string }).path,
		(found as { what: string }).what,
	);
}

/**
 * Calls a Date's method; one of its setters is undone when it leaves a Date
 * that cannot be stored exactly, and was not such a Date already (one stored
 * before 2026-11-25 can be: it stays readable and writable).
 */
export function callDateMethod(
	date: Date,
	name: string | symbol,
	method: unknown,
	args: unknown[],
	rootKey: string,
): unknown {
	const call = () => (method as (...a: unknown[]) => unknown).apply(date, args);
	if (typeof name !== "string" || !name.startsWith("set") || !isCallingUserCode()) return call();
	const before = date.getTime();
	const wasExact = findNotPlain(date, "") === undefined;
	const result = call();
	if (!wasExact) return result;
	try {
		refuseNotStorable(date, rootKey);
	} catch (error) {
		date.setTime(before);
		throw error;
	}
	return result;
}

/** What storage would not keep, found in a value written into state, and where. */
export interface Found {
	what: string;
	/** The path from it up to the object at `depth` in the value, innermost first. */
	segments: string[];
	depth: number;
}

/** A finding's path goes one level up, through `segment`. */
export function foundUp(found: Found, segment: string): void {
	found.segments.push(segment);
	found.depth--;
}

/** Where a finding is, for its error (see statePath): `state.list….item[2].index`. */
export function foundPath(found: Found, rootKey: string, property?: string): string {
	return statePath(rootKey, property) + found.segments.toReversed().join("");
}

/** A Map key as a path segment shows it (as findNotPlain does). */
export function describeKey(key: unknown): string {
	if (typeof key === "object" && key !== null) return "<object>";
	if (typeof key === "symbol" || typeof key === "function") return `<${typeof key}>`;
	return String(key).slice(0, 40);
}
