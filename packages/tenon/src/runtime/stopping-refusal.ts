// The runtime's own refusal of a call it did not start because its actor is stopping, told
// apart from an `actor/stopping` that the actor's code threw (passing on another actor's,
// after it wrote): only the first may be sent again without running twice.
import { ActorError, type ErrorPayload, errors } from "../protocol/errors.js";

const refusals = new WeakSet<ActorError>();

/** `actor/stopping`, made as the runtime refuses a call before starting it. */
export function stoppingRefusal(): ActorError {
	const refusal = errors.actorStopping();
	refusals.add(refusal);
	return refusal;
}

/** True for an error {@link stoppingRefusal} made (not one of the same name code threw). */
export function isStoppingRefusal(error: unknown): boolean {
	return error instanceof ActorError && refusals.has(error);
}

/**
 * A call's error as a connection's client gets it: the runtime's refusal says `ran: false`
 * (Tenon's client sends it again); an `actor/stopping` the actor's code threw loses a `ran`
 * it carried (copied from another actor's refusal), so it never reads as unrun. Before
 * 2026-11-29 the client took every `actor/stopping` for a refusal, and a call that wrote and
 * then passed one on ran up to 41 times (a review).
 */
export function stoppingPayload(error: unknown, payload: ErrorPayload): ErrorPayload {
	if (payload.group !== "actor" || payload.code !== "stopping") return payload;
	const { ran: _ran, ...metadata } = (payload.metadata ?? {}) as Record<string, unknown>;
	if (isStoppingRefusal(error)) return { ...payload, metadata: { ...metadata, ran: false } };
	return Object.keys(metadata).length === 0
		? { group: payload.group, code: payload.code, message: payload.message }
		: { ...payload, metadata };
}
