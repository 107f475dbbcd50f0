// What the state tracker refuses in the turn that writes it, before the
// write happens: it fails that caller alone, where the same value found by
// the commit would reset the actor and fail every turn of that commit.

import { NotStorableError } from "../common/storable.js";
import { findNotPlain } from "../protocol/plain-data.js";

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
 * Refuses, in the writing turn, what the commit would refuse (see
 * findNotPlain): a class instance, a function, a string with a lone
 * surrogate, a Date CBOR cannot hold to the millisecond... It then fails that
 * caller alone, and the write does not happen. The commit checks again (an
 * object changed after it was written is seen only there); a value refused
 * there resets the actor, and every turn of that commit fails with it.
 *
 * @param rootKey the top-level key written under ("" for the whole state)
 * @param property the key written in a nested object (its path from the root is not kept)
 */
export function refuseNotStorable(
	value: unknown,
	rootKey: string,
	property?: string | symbol,
): void {
	if (typeof property === "symbol") return; // not stored
	const badKey = property !== undefined && !property.isWellFormed();
	const found = badKey ? undefined : findNotPlain(value, "");
	if (!badKey && found === undefined) return;
	let at = rootKey === ROOT ? "state" : `state.${rootKey}`;
	if (property !== undefined && property !== rootKey) at += `….${property}`;
	if (badKey) throw new NotStorableError(at, "a key with a lone surrogate (it has no UTF-8 form)");
	throw new NotStorableError(
		at + (found as { path: string }).path,
		(found as { what: string }).what,
	);
}

/** Calls a Date's method, undone when the Date it leaves cannot be stored exactly. */
export function changeDate(date: Date, method: unknown, args: unknown[], rootKey: string): unknown {
	const before = date.getTime();
	const result = (method as (...a: unknown[]) => unknown).apply(date, args);
	try {
		refuseNotStorable(date, rootKey);
	} catch (error) {
		date.setTime(before);
		throw error;
	}
	return result;
}
