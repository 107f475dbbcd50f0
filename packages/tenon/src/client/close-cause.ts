// Why a connection closed, as the client reports it.
import { ActorError, httpStatusFor } from "../protocol/errors.js";

/**
 * Closes after which reconnecting cannot help: a normal close (1000) is the
 * server's deliberate decision (`conn.disconnect()`, actor destroyed), 1008 a
 * rejection (auth, bad params). Sleep (1012), shutdown (1001) and resets
 * (1011) are worth reconnecting after. Code 0 stands for a connection that
 * failed before it had a socket: resolving its actor over the REST API
 * (a key with a comma, a large input) was refused, see {@link isRefusal}.
 */
export function isFatal(code: number, error: ActorError | undefined): boolean {
	if (code === 1000 || code === 1008) return true;
	if (error === undefined) return false;
	if (error.group === "actor" && (error.code === "not_found" || error.code === "destroyed"))
		return true;
	return code === 0 && isRefusal(error);
}

/**
 * A close after which the calls still waiting for an answer did not run: Tenon closes a
 * connection for its actor's sleep (1012 `actor.sleeping`) or its own shutdown (1001
 * `core.shutting_down`) only after answering every call the actor ran (with `actor/stopped`
 * when it was cut short); frames that arrive after that are not read.
 */
export function unrunAtClose(code: number, error: ActorError | undefined): boolean {
	if (error === undefined) return false;
	return (
		(code === 1012 && error.group === "actor" && error.code === "sleeping") ||
		(code === 1001 && error.group === "core" && error.code === "shutting_down")
	);
}

/**
 * An HTTP answer that will not change by asking again: a 4xx (auth, a user
 * error from `onBeforeCreate` or `onBeforeConnect`, a bad request), the same
 * errors the server closes a WebSocket with 1008 for. Limits (429, 503: rate
 * limited, overloaded) and timeouts (408) say "later", and are retried.
 */
function isRefusal(error: ActorError): boolean {
	if (error.group === "limit") return false;
	// What the actor's `onBeforeCreate` threw (a 500 `core/internal_error`): asked again, it
	// runs the same hook.
	if ((error.metadata as { refused?: unknown } | undefined)?.refused === true) return true;
	const status =
		error.group === "client"
			? error.code === "http_error"
				? (error.metadata as { status?: unknown } | undefined)?.status
				: undefined
			: httpStatusFor(error.group, error.code);
	return (
		typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429
	);
}

/**
 * `group.code` (and RivetKit's `#` suffix): neither holds a space, the group no dot. Free
 * text ("see https://example.com/rules", "kicked for cheating") is not an error's name: it
 * was read at its first dot as one. A code with other characters (a `UserError`'s
 * `token:expired`) still reads, and the server's error frame is matched by its text first.
 */
const GROUP_CODE = /^([^\s.]+)\.(\S+)$/u;

function parseCloseReason(reason: string): ActorError | undefined {
	const match = GROUP_CODE.exec(reason.split("#")[0] ?? "");
	if (match === null) return undefined;
	return new ActorError(match[1] as string, match[2] as string, `Connection closed: ${reason}`);
}

/**
 * What a deliberate close (1000) whose reason names no error ends a connection with: the
 * app's own words to `conn.disconnect(reason)` ("kicked for cheating"). It was no error at
 * all, and later calls failed with `client/connection_lost` (a walkthrough, 2026-11-28).
 */
export function disconnectedWith(reason: string): ActorError {
	return new ActorError(
		"actor",
		"disconnect",
		`Connection closed${reason === "" ? "" : `: ${reason}`}`,
	);
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
	const named = serverError === undefined ? "" : `${serverError.group}.${serverError.code}`;
	// The server's own error, named by the reason as it was sent (any characters).
	if (serverError !== undefined && (reason === named || reason.startsWith(`${named}#`)))
		return serverError;
	const fromReason = parseCloseReason(reason);
	if (serverError === undefined || fromReason === undefined) return fromReason;
	const main = `${fromReason.group}.${fromReason.code}`;
	// A close reason holds at most 123 bytes: a longer `group.code` arrives cut, and was
	// reported as a second, cut error, which later calls failed with (a walkthrough, 2026-11-27).
	const same =
		named === main ||
		(named.startsWith(main) && utf8.encode(reason).byteLength >= MAX_CLOSE_REASON_BYTES - 3);
	return same ? serverError : fromReason;
}

/** WebSocket close reasons are at most 123 bytes of UTF-8; the server cuts a longer one on a character. */
const MAX_CLOSE_REASON_BYTES = 123;
const utf8 = new TextEncoder();
