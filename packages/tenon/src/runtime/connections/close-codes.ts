// How the runtime closes WebSockets: the codes it uses, and the code and
// reason for an error that ends a connection.

import { httpStatusFor } from "../../protocol/errors.js";

/** WebSocket close codes the runtime uses. */
export const CLOSE = {
	normal: 1000,
	goingAway: 1001,
	policy: 1008,
	tooBig: 1009,
	internal: 1011,
	restart: 1012,
	tryAgainLater: 1013,
} as const;

/** Why open connections are being closed. */
export type CloseKind = "sleep" | "destroy" | "shutdown";

/** WebSocket close reasons are limited to 123 bytes. */
export function closeReason(text: string): string {
	return text.length > 120 ? text.slice(0, 120) : text;
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
