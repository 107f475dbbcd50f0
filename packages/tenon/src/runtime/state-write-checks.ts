// What the state tracker refuses in the turn that writes it, before the
// write happens: it fails that caller alone, where the same value found by
// the commit would reset the actor and fail every turn of that commit.

import { NotStorableError } from "../common/storable.js";
import { isCallingUserCode } from "../common/timeouts.js";
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
 * Refuses, in the writing turn, what cannot be stored exactly (see
 * findNotPlain): a class instance, a function, a string with a lone
 * surrogate, a Date CBOR cannot hold to the millisecond... It then fails that
 * caller alone, and the write does not happen.
 *
 * Only while Tenon calls user code synchronously (an action or a hook up to
 * its first `await`; see isCallingUserCode): elsewhere (after an `await`, in
 * a timer the app set) the throw could end the process, so the write is left
 * to the commit's check as before. That one refuses only what cannot be
 * encoded at all (a lone surrogate is stored as U+FFFD there), and what it
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
	let at = rootKey === ROOT ? "state" : `state.${rootKey}`;
	if (property !== undefined && property !== rootKey) at += `….${property}`;
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
