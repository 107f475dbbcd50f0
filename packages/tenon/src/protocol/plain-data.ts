// What Tenon stores and sends is "plain data": primitives, plain objects,
// arrays, Map, Set, Date and byte arrays, without cycles. The same walk
// guards two places: values decoded from a client (refused with a 400 before
// any actor sees them) and values about to be written (refused before the
// commit, so one caller's bad value cannot reset the actor for everyone).

/** How deep plain data may nest (objects, arrays, maps and sets). */
export const MAX_PLAIN_DEPTH = 512;

/** Where a value stops being plain data, and what it is there. */
export interface NotPlain {
	/** The path from the root, e.g. `args[0].items[2]`. */
	path: string;
	/** A human description, e.g. "a RegExp instance" or "a circular reference". */
	what: string;
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
 * @param rejectShared also refuse an object reached twice: values from
 * clients never share parts (JSON cannot express it), and a shared graph can
 * be exponentially larger once written out.
 */
export function findNotPlain(
	value: unknown,
	path: string,
	rejectShared = false,
): NotPlain | undefined {
	if (isFlat(value)) return undefined;
	const found = walk(value, { inPath: new Set(), done: new Set(), rejectShared }, 0);
	if (found === undefined) return undefined;
	return { path: path + found.segments.reverse().join(""), what: found.what };
}

/** A primitive that is plain data (not a function or symbol). */
function isPlainPrimitive(value: unknown): boolean {
	switch (typeof value) {
		case "string":
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
function isFlat(value: unknown): boolean {
	if (typeof value !== "object" || value === null) return isPlainPrimitive(value);
	if (Array.isArray(value)) {
		if (Object.getPrototypeOf(value) !== Array.prototype) return false;
		for (let i = 0; i < value.length; i++) if (!isPlainPrimitive(value[i])) return false;
		return true;
	}
	const proto = Object.getPrototypeOf(value);
	if (proto !== Object.prototype && proto !== null) return false;
	for (const key in value) {
		if (!Object.hasOwn(value, key)) continue;
		if (key === "__proto__") return false;
		if (!isPlainPrimitive((value as Record<string, unknown>)[key])) return false;
	}
	return true;
}

interface WalkState {
	/** Objects on the current path (meeting one again is a cycle). */
	inPath: Set<object>;
	/** Objects already checked in full. */
	done: Set<object>;
	rejectShared: boolean;
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
	if (typeof value !== "object" || value === null)
		return isPlainPrimitive(value) ? undefined : { segments: [], what: describe(value) };
	const object = value;
	if (depth > MAX_PLAIN_DEPTH)
		return { segments: [], what: `nested deeper than ${MAX_PLAIN_DEPTH} levels` };
	if (state.inPath.has(object)) return { segments: [], what: "a circular reference" };
	if (state.done.has(object)) {
		return state.rejectShared
			? { segments: [], what: "a shared reference (the same object twice)" }
			: undefined;
	}
	if (object instanceof Date || object instanceof ArrayBuffer) return undefined;
	if (ArrayBuffer.isView(object))
		return object instanceof DataView ? { segments: [], what: describe(object) } : undefined;
	state.inPath.add(object);
	try {
		if (Array.isArray(object)) {
			if (Object.getPrototypeOf(object) !== Array.prototype)
				return { segments: [], what: describe(object) };
			for (let i = 0; i < object.length; i++) {
				const found = walk(object[i], state, depth + 1);
				if (found) return at(found, `[${i}]`);
			}
			return undefined;
		}
		if (object instanceof Map) {
			for (const [key, item] of object) {
				const found = at(walk(key, state, depth + 1), ".<key>");
				if (found) return found;
				const inItem = walk(item, state, depth + 1);
				if (inItem) return at(inItem, `.get(${String(key).slice(0, 40)})`);
			}
			return undefined;
		}
		if (object instanceof Set) {
			for (const item of object) {
				const found = walk(item, state, depth + 1);
				if (found) return at(found, ".<item>");
			}
			return undefined;
		}
		const proto = Object.getPrototypeOf(object);
		if (proto !== Object.prototype && proto !== null)
			return { segments: [], what: describe(object) };
		for (const key of Object.keys(object)) {
			if (key === "__proto__") return { segments: [".__proto__"], what: "a '__proto__' key" };
			const found = walk((object as Record<string, unknown>)[key], state, depth + 1);
			if (found) return at(found, `.${key.slice(0, 40)}`);
		}
		return undefined;
	} finally {
		state.inPath.delete(object);
		state.done.add(object);
	}
}
