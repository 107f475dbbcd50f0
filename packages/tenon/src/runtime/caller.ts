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
const accepted = new WeakSet<Caller>();

/** Records that the connect hooks accepted `caller`. */
export function markAccepted(caller: Caller): void {
	accepted.add(caller);
}

/** True once the connect hooks accepted `caller`. */
export function isAccepted(caller: Caller): boolean {
	return accepted.has(caller);
}
