// Why a connection closed, as the client reports it.
import { ActorError } from "../protocol/errors.js";

/**
 * Closes after which reconnecting cannot help: a normal close (1000) is the
 * server's deliberate decision (`conn.disconnect()`, actor destroyed), 1008 a
 * rejection (auth, bad params). Sleep (1012), shutdown (1001) and resets
 * (1011) are worth reconnecting after.
 */
export function isFatal(code: number, error: ActorError | undefined): boolean {
	if (code === 1000 || code === 1008) return true;
	if (error === undefined) return false;
	return error.group === "actor" && (error.code === "not_found" || error.code === "destroyed");
}

function parseCloseReason(reason: string): ActorError | undefined {
	const main = reason.split("#")[0] ?? "";
	const dot = main.indexOf(".");
	if (dot <= 0 || dot === main.length - 1) return undefined;
	const group = main.slice(0, dot);
	const code = main.slice(dot + 1);
	return new ActorError(group, code, `Connection closed: ${reason}`);
}

/**
 * The error a close reports: the server's last error frame without an action
 * id when the close's reason names it (a refused connection), otherwise the
 * one the reason names (`group.code`), if any. Other such frames (an update
 * too large to send, a subscription refused) leave the connection open, and
 * must not be blamed for a later close (before 2026-11-25 every later call
 * failed with one after a `disconnect()`).
 */
export function closeCause(
	reason: string,
	serverError: ActorError | undefined,
): ActorError | undefined {
	const fromReason = parseCloseReason(reason);
	return serverError !== undefined &&
		fromReason !== undefined &&
		serverError.group === fromReason.group &&
		serverError.code === fromReason.code
		? serverError
		: fromReason;
}
