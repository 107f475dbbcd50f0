import type { CallerRequest } from "../actor/context.js";

/**
 * Who is calling an actor, as the server established it: the connection
 * params the client sent, and the request they came with (undefined for
 * calls the actor makes itself, such as timers).
 */
export interface Caller {
	readonly params: unknown;
	readonly request: CallerRequest | undefined;
	/** The server's id for the request (HTTP) this call came in; lines `c.log` writes carry it. */
	readonly requestId?: string;
}

/** A caller with params only (timers, in-runtime calls). */
export function callerWithParams(params: unknown): Caller {
	return { params, request: undefined };
}

// Callers the connect hooks accepted. A `getOrCreate` that created the actor
// for a caller that was never accepted (the hooks refused it, or the call
// failed before they ran) undoes the creation: creating takes passing them.
// A property of the caller (under a symbol of this module), not a WeakSet:
// adding to a WeakSet gave each call's new object a hash, 3% of an HTTP
// action's route in a profile (2026-11-25).
// A caller someone froze is remembered in a WeakSet instead.
const ACCEPTED = Symbol("accepted");
const acceptedFrozen = new WeakSet<Caller>();

/** Records that the connect hooks accepted `caller`. */
export function markAccepted(caller: Caller): void {
	if (Object.isExtensible(caller)) (caller as { [ACCEPTED]?: true })[ACCEPTED] = true;
	else acceptedFrozen.add(caller);
}

/** True once the connect hooks accepted `caller`. */
export function isAccepted(caller: Caller): boolean {
	return (caller as { [ACCEPTED]?: true })[ACCEPTED] === true || acceptedFrozen.has(caller);
}
