// What Tenon stores and sends is "plain data": primitives, plain objects,
// arrays, Map, Set, Date (those classes exactly, no subclass) and byte
// arrays, without cycles. The same walk guards two places: values decoded
// from a client (refused with a 400 before any actor sees them) and values
// about to be written (refused before the commit, so one caller's bad value
// cannot reset the actor for everyone).
// Values to be stored must also come back exactly: strings well-formed
// (UTF-8 has no form for a lone surrogate, so CBOR writes U+FFFD) and Dates
// exact to the millisecond in CBOR's seconds.

/** How deep plain data may nest (objects, arrays, maps and sets). */
export const MAX_PLAIN_DEPTH = 512;

const ILL_FORMED = "a string with a lone surrogate (it has no UTF-8 form)";
const INEXACT_DATE = "a Date that CBOR cannot store to the millisecond (some past year 141,000)";

/**
 * True when CBOR's date (tag 1, seconds as a float64, which cbor-x reads
 * back as `Math.round(seconds * 1000)`) gives this Date back to the
 * millisecond: always within about 141,000 years of 1970; an invalid Date
 * (NaN) is stored as such.
 */
function isExactDate(date: Date): boolean {
	let time: number;
	try {
		time = date.getTime();
	} catch {
		return false; // not a real Date (Object.create(Date.prototype)): cannot be encoded
	}
	return Number.isNaN(time) || Math.round((time / 1000) * 1000) === time;
}

/** Where a value stops being plain data, and what it is there. */
export interface NotPlain {
	/** The path from the root, e.g. `args[0].items[2]`. */
	path: string;
	/** A human description, e.g. "a RegExp instance" or "a circular reference". */
	what: string;
}

/** A Map key as a path segment shows it (an object key by its kind: it may have no `toString`). */
function describeKey(key: unknown): string {
	if (typeof key === "object" && key !== null) return "<object>";
	if (typeof key === "symbol" || typeof key === "function") return `<${typeof key}>`;
	return String(key).slice(0, 40);
}

function describe(value: unknown): string {
	if (typeof value === "function") return "a function";
	if (typeof value === "symbol") return "a symbol";
	const name = (value as object)?.constructor?.name;
	return name ? `a ${name} instance` : "an object with a custom prototype";
}

/**
 * Returns where `value` stops being plain data, or undefined when all of it
 * is. A `__proto__` own key counts as not plain: CBOR readers rename it and
 * JavaScript assignments turn it into a prototype change, so it could never
 * be stored exactly. Each object is visited once, so the walk is linear in
 * the value's size even when parts of it are shared, and the path is only
 * built for a finding.
 *
 * @param from "stored" (the default) for a value being written or
 * journaled: it must read back exactly, so a string with a lone surrogate
 * and a Date that CBOR's seconds cannot hold to the millisecond are refused
 * too. "encodable" for the commit's own check, behind the writes' (see
 * state-write-checks.ts): only what cannot be encoded at all is refused, as
 * refusing there resets the actor; a lone surrogate (read back as U+FFFD) or a
 * Date 1 ms off that no write check saw is stored as it comes out. "client"
 * for a value just decoded from a client's bytes: as "encodable". Such a
 * value is a tree by construction (JSON cannot share parts, and the CBOR
 * guard refuses value-sharing tags and cbor-x's record and packing
 * extensions), so the quick pass decides it as it does a stored value: the
 * walk's sets made checking a 60 KB frame of 60,000 empty arrays take 6 ms
 * instead of 0.6. The decoder fuzz holds the decoders to it with
 * {@link fullWalk}, which in this mode also refuses an object reached twice
 * (a shared graph can be exponentially larger once written out).
 */
export function findNotPlain(
	value: unknown,
	path: string,
	from: PlainDataUse = "stored",
): NotPlain | undefined {
	const exact = from === "stored";
	if (isFlat(value, exact)) return undefined;
	// A value to store is usually a tree, and a client's always is: the quick
	// pass proves it plain without the walk's sets (3 to 10 times faster).
	// Anything else (a finding, a cycle, a large or deep shared graph) is
	// decided by the walk.
	if (quickPlain(value, exact, 0, { visits: 0 })) return undefined;
	return fullWalk(value, path, from);
}

/** What a value is checked for (see {@link findNotPlain}). */
export type PlainDataUse = "stored" | "encodable" | "client";

/** {@link findNotPlain} by the walk alone (exported for the test that compares the two). */
export function fullWalk(value: unknown, path: string, from: PlainDataUse): NotPlain | undefined {
	const exact = from === "stored";
	const rejectShared = from === "client";
	const found = walk(value, { inPath: new Set(), done: new Set(), rejectShared, exact }, 0);
	if (found === undefined) return undefined;
	return { path: path + found.segments.reverse().join(""), what: found.what };
}

/** Values the quick pass visits (primitives too) before it leaves the value to the walk. */
const QUICK_VISITS = 1_000_000;

/**
 * True when `value` is plain data to store, walked as a tree: no sets, so an
 * object reached twice is visited twice, and a cycle runs into the depth
 * limit. False means "not shown plain": the walk then decides, and names
 * what it finds. The visit budget keeps a shared graph that is exponentially
 * larger as a tree from costing more than the walk would.
 */
function quickPlain(
	value: unknown,
	exact: boolean,
	depth: number,
	budget: { visits: number },
): boolean {
	if (++budget.visits > QUICK_VISITS) return false;
	if (typeof value !== "object" || value === null) return isPlainPrimitive(value, exact);
	if (depth > MAX_PLAIN_DEPTH) return false;
	const proto = Object.getPrototypeOf(value);
	if (Array.isArray(value)) {
		if (proto !== Array.prototype) return false;
		for (let i = 0; i < value.length; i++)
			if (!quickPlain(value[i], exact, depth + 1, budget)) return false;
		return true;
	}
	// The exact classes (see walk): a subclass is a class instance.
	if (proto === Date.prototype) return !exact || isExactDate(value as Date);
	if (proto === Map.prototype) {
		for (const [key, item] of value as Map<unknown, unknown>)
			if (!quickPlain(key, exact, depth + 1, budget) || !quickPlain(item, exact, depth + 1, budget))
				return false;
		return true;
	}
	if (proto === Set.prototype) {
		for (const item of value as Set<unknown>)
			if (!quickPlain(item, exact, depth + 1, budget)) return false;
		return true;
	}
	if (value instanceof ArrayBuffer) return true;
	if (ArrayBuffer.isView(value)) return !(value instanceof DataView);
	if (proto !== Object.prototype && proto !== null) return false;
	for (const key in value) {
		if (!Object.hasOwn(value, key)) continue;
		if (key === "__proto__" || (exact && !key.isWellFormed())) return false;
		if (!quickPlain((value as Record<string, unknown>)[key], exact, depth + 1, budget))
			return false;
	}
	return true;
}

/** A primitive that is plain data (not a function or symbol; with `exact`, no ill-formed string). */
function isPlainPrimitive(value: unknown, exact: boolean): boolean {
	switch (typeof value) {
		case "string":
			return !exact || value.isWellFormed();
		case "number":
		case "boolean":
		case "bigint":
		case "undefined":
			return true;
		case "object":
			return value === null;
		default:
			return false;
	}
}

/**
 * True for what {@link walk} would find plain at its first level without
 * going deeper: a plain primitive, or an array or plain object of them (the
 * arguments and results of most actions). Decides without the walk's sets.
 */
function isFlat(value: unknown, exact: boolean): boolean {
	if (typeof value !== "object" || value === null) return isPlainPrimitive(value, exact);
	if (Array.isArray(value)) {
		if (Object.getPrototypeOf(value) !== Array.prototype) return false;
		for (let i = 0; i < value.length; i++) if (!isPlainPrimitive(value[i], exact)) return false;
		return true;
	}
	const proto = Object.getPrototypeOf(value);
	if (proto !== Object.prototype && proto !== null) return false;
	for (const key in value) {
		if (!Object.hasOwn(value, key)) continue;
		if (key === "__proto__" || (exact && !key.isWellFormed())) return false;
		if (!isPlainPrimitive((value as Record<string, unknown>)[key], exact)) return false;
	}
	return true;
}

interface WalkState {
	/** Objects on the current path (meeting one again is a cycle). */
	inPath: Set<object>;
	/** Objects already checked in full. */
	done: Set<object>;
	rejectShared: boolean;
	/** Refuse what storage would not read back exactly (see {@link findNotPlain}). */
	exact: boolean;
}

/** A finding, with the path segments from it up to the root (innermost first). */
interface Found {
	segments: string[];
	what: string;
}

function at(found: Found | undefined, segment: string): Found | undefined {
	found?.segments.push(segment);
	return found;
}

function walk(value: unknown, state: WalkState, depth: number): Found | undefined {
	if (typeof value !== "object" || value === null) {
		if (isPlainPrimitive(value, state.exact)) return undefined;
		return { segments: [], what: typeof value === "string" ? ILL_FORMED : describe(value) };
	}
	const object = value;
	if (depth > MAX_PLAIN_DEPTH)
		return { segments: [], what: `nested deeper than ${MAX_PLAIN_DEPTH} levels` };
	if (state.inPath.has(object)) return { segments: [], what: "a circular reference" };
	if (state.done.has(object)) {
		return state.rejectShared
			? { segments: [], what: "a shared reference (the same object twice)" }
			: undefined;
	}
	// Map, Set and Date exactly: a subclass is stored as its base class and
	// comes back as one, without its methods (before 2026-11-26 it was taken).
	const proto = Object.getPrototypeOf(object);
	if (proto === Date.prototype) {
		return state.exact && !isExactDate(object as Date)
			? { segments: [], what: INEXACT_DATE }
			: undefined;
	}
	if (object instanceof ArrayBuffer) return undefined;
	if (ArrayBuffer.isView(object))
		return object instanceof DataView ? { segments: [], what: describe(object) } : undefined;
	state.inPath.add(object);
	try {
		if (Array.isArray(object)) {
			if (proto !== Array.prototype) return { segments: [], what: describe(object) };
			for (let i = 0; i < object.length; i++) {
				const found = walk(object[i], state, depth + 1);
				if (found) return at(found, `[${i}]`);
			}
			return undefined;
		}
		if (proto === Map.prototype) {
			for (const [key, item] of object as Map<unknown, unknown>) {
				const found = at(walk(key, state, depth + 1), ".<key>");
				if (found) return found;
				const inItem = walk(item, state, depth + 1);
				if (inItem) return at(inItem, `.get(${describeKey(key)})`);
			}
			return undefined;
		}
		if (proto === Set.prototype) {
			for (const item of object as Set<unknown>) {
				const found = walk(item, state, depth + 1);
				if (found) return at(found, ".<item>");
			}
			return undefined;
		}
		if (proto !== Object.prototype && proto !== null)
			return { segments: [], what: describe(object) };
		for (const key of Object.keys(object)) {
			if (key === "__proto__") return { segments: [".__proto__"], what: "a '__proto__' key" };
			if (state.exact && !key.isWellFormed())
				return {
					segments: [`.${key.slice(0, 40)}`],
					what: "a key with a lone surrogate (it has no UTF-8 form)",
				};
			const found = walk((object as Record<string, unknown>)[key], state, depth + 1);
			if (found) return at(found, `.${key.slice(0, 40)}`);
		}
		return undefined;
	} finally {
		state.inPath.delete(object);
		state.done.add(object);
	}
}
