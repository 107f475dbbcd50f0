import { ActorError } from "../protocol/errors.js";
import { findNotPlain } from "../protocol/plain-data.js";

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

/**
 * Throws {@link NotStorableError} unless `value` round-trips through storage
 * unchanged. CBOR would silently flatten class instances and drop promises;
 * this check turns that data loss into a clear error naming the path.
 * `"encodable"`: a commit's check, which refuses only what cannot be encoded
 * at all (see findNotPlain).
 */
export function assertStorable(
	value: unknown,
	path: string,
	use: "stored" | "encodable" = "stored",
): void {
	const found = findNotPlain(value, path, use);
	if (found) throw new NotStorableError(found.path, found.what);
}
