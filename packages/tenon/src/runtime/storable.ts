import { ActorError } from "../protocol/errors.js";

/** Thrown when actor state holds something that cannot be stored. */
export class NotStorableError extends ActorError {
	constructor(path: string, what: string) {
		super(
			"state",
			"not_serializable",
			`State at '${path}' is ${what}; state must be plain data (objects, arrays, Map, Set, Date, bytes, primitives)`,
			{ path },
		);
	}
}

const MAX_DEPTH = 512;

function describe(value: unknown): string {
	if (typeof value === "function") return "a function";
	if (typeof value === "symbol") return "a symbol";
	const name = (value as object)?.constructor?.name;
	return name ? `a ${name} instance` : "an object with a custom prototype";
}

/**
 * Throws {@link NotStorableError} unless `value` round-trips through storage
 * unchanged. CBOR would silently flatten class instances and drop promises;
 * this check turns that data loss into a clear error naming the path.
 */
export function assertStorable(
	value: unknown,
	path: string,
	seen: Set<object> = new Set(),
	depth = 0,
): void {
	switch (typeof value) {
		case "string":
		case "number":
		case "boolean":
		case "bigint":
		case "undefined":
			return;
		case "function":
		case "symbol":
			throw new NotStorableError(path, describe(value));
		case "object":
			break;
	}
	if (value === null) return;
	const object = value as object;
	if (depth > MAX_DEPTH) throw new NotStorableError(path, `nested deeper than ${MAX_DEPTH} levels`);
	if (seen.has(object)) throw new NotStorableError(path, "a circular reference");
	if (object instanceof Date || ArrayBuffer.isView(object) || object instanceof ArrayBuffer) return;
	seen.add(object);
	try {
		if (Array.isArray(object)) {
			for (let i = 0; i < object.length; i++)
				assertStorable(object[i], `${path}[${i}]`, seen, depth + 1);
			return;
		}
		if (object instanceof Map) {
			for (const [key, item] of object) {
				assertStorable(key, `${path}.<key>`, seen, depth + 1);
				assertStorable(item, `${path}.get(${String(key)})`, seen, depth + 1);
			}
			return;
		}
		if (object instanceof Set) {
			for (const item of object) assertStorable(item, `${path}.<item>`, seen, depth + 1);
			return;
		}
		const proto = Object.getPrototypeOf(object);
		if (proto !== Object.prototype && proto !== null)
			throw new NotStorableError(path, describe(object));
		for (const key of Object.keys(object)) {
			assertStorable((object as Record<string, unknown>)[key], `${path}.${key}`, seen, depth + 1);
		}
	} finally {
		seen.delete(object);
	}
}
