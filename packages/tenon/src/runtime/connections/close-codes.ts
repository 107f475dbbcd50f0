// How the runtime closes WebSockets: the codes it uses, and the code and
// reason for an error that ends a connection.

import { ActorError, httpStatusFor } from "../../protocol/errors.js";

/** WebSocket close codes the runtime uses. */
export const CLOSE = {
	normal: 1000,
	goingAway: 1001,
	policy: 1008,
	tooBig: 1009,
	internal: 1011,
	restart: 1012,
	tryAgainLater: 1013,
	/** Reported, never sent: the socket ended without a close frame (a network drop, a relay's death). */
	lost: 1006,
} as const;

/** Why open connections are being closed. */
export type CloseKind = "sleep" | "destroy" | "shutdown";

/** WebSocket close reasons are limited to 123 bytes of UTF-8 (RFC 6455 5.5.1). */
const MAX_CLOSE_REASON_BYTES = 123;

/**
 * `text` cut to fit a close frame: at most 123 bytes of UTF-8, on a character's
 * boundary. `ws` throws on a longer reason (a reason quoting a user's words in
 * another script is over it at 42 characters), and a throw there went unhandled.
 */
export function closeReason(text: string): string {
	// Every UTF-16 unit is at most 3 bytes of UTF-8: short texts fit as they are.
	if (text.length <= MAX_CLOSE_REASON_BYTES / 3) return text;
	let bytes = 0;
	let end = 0;
	for (const char of text) {
		const point = char.codePointAt(0) as number;
		bytes += point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
		if (bytes > MAX_CLOSE_REASON_BYTES) return text.slice(0, end);
		end += char.length;
	}
	return text;
}

/** A code a close frame may carry (RFC 6455 7.4: 1004 to 1006 are never sent). */
export function isSendableCloseCode(code: number): boolean {
	return (
		Number.isInteger(code) &&
		((code >= 1000 && code <= 1014 && (code < 1004 || code > 1006)) ||
			(code >= 3000 && code <= 4999))
	);
}

/**
 * Close code for an error that ends a connection: "try again later" for
 * limits (the client backs off and reconnects), policy for other caller
 * mistakes (it does not), internal otherwise.
 */
export function closeCodeFor(payload: { group: string; code: string }): number {
	if (payload.group === "limit") return CLOSE.tryAgainLater;
	const status = httpStatusFor(payload.group, payload.code);
	return status >= 400 && status < 500 ? CLOSE.policy : CLOSE.internal;
}

/** Errors the app's connect hooks threw, as shown to the caller (`core/internal_error`). */
const hookFailures = new WeakSet<object>();

/**
 * `shown`, the public form of `thrown` (what a connect hook threw), marked as the hooks'
 * refusal when `thrown` was not an `ActorError`: see {@link refusalCloseCode}.
 */
export function hookFailure(thrown: unknown, shown: ActorError): ActorError {
	if (!(thrown instanceof ActorError)) hookFailures.add(shown);
	return shown;
}

/**
 * Close code for a socket refused while it opened: as {@link closeCodeFor}, except that
 * what the app's connect hooks threw that is not an `ActorError` (`throw new Error("Invalid
 * authentication")`, as RivetKit's docs write it, or a hook's TypeError) is a refusal too
 * (1008): reported as `core/internal_error`, but asking again runs the same hooks. Until
 * 2026-11-29 it closed with 1011, and Tenon's client reconnected for good, its calls waiting.
 */
export function refusalCloseCode(error: unknown, payload: { group: string; code: string }): number {
	return error instanceof ActorError ? closeCodeOf(error, payload) : CLOSE.policy;
}

/**
 * {@link closeCodeFor}, or 1008 for what the app's hooks threw (marked by {@link hookFailure}):
 * for errors that may also come from elsewhere (storage, while the actor wakes).
 */
export function closeCodeOf(error: unknown, payload: { group: string; code: string }): number {
	return error instanceof ActorError && hookFailures.has(error)
		? CLOSE.policy
		: closeCodeFor(payload);
}
