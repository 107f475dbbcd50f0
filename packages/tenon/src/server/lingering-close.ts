// A connection answered before its request body was read to the end (a body refused as too
// large, too slow or malformed, one its handler did not read, a server error) is closed after
// the answer, so that no next request starts in the middle of that body. Node closes it the
// moment the answer is written: its socket is destroyed with the rest of the body unread or
// still arriving, and the kernel then resets the connection (RFC 1122, 4.2.2.13). A client
// still sending hits the reset on its next write, and many never read the answer that came
// before it: Python's `http.client` and Node's `net` sockets fail the write and stop, so an
// upload over a limit reads as "connection reset" instead of its 413 or 400.
//
// So such a connection closes much as nginx's `lingering_close` does (with one bound on the
// whole wait rather than nginx's two): the answer goes out with a FIN (our side of the
// connection is done), the rest of the client's body is read and discarded (by Node's parser
// into a dumped request), and the socket is destroyed once the client ends its side too, or
// `ms` after the answer at the latest: an upload still running then gets the reset after all.
// Requests that arrive meanwhile are not served (node-adapter.ts drops them: the connection
// was answered with `Connection: close`). Node offers no option for it; its `http` server
// closes a `Connection: close` response's socket through `socket.destroySoon()`, so that
// method is replaced on the socket of such an answer only.

import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { ActorError, toErrorPayload } from "../protocol/errors.js";
import { encodeErrorBody } from "../protocol/http-bodies.js";

const lingering = new WeakSet<Socket>();

/** `ms` as a timer takes it: 0 (close at once) unless a positive number; at most ~24.8 days. */
function span(ms: number): number {
	return ms > 0 ? Math.min(ms, 2 ** 31 - 1) : 0;
}

/**
 * Makes Node's close of `socket` after the current answer a lingering one (see above): call it
 * whenever an answer ends its connection while the request's body is not read to its end.
 * `ms` 0 leaves Node's immediate close.
 */
export function lingerAfterAnswer(socket: Socket | null | undefined, ms: number): void {
	const time = span(ms);
	if (socket == null || time === 0 || lingering.has(socket)) return;
	lingering.add(socket);
	socket.destroySoon = function lingeringDestroySoon(this: Socket): void {
		if (this.writable) this.end();
		linger(this, time);
	};
}

/**
 * The `clientError` listener's work: a request Node could not parse gets `400`, one too slow
 * with its headers or body `408`, and the connection closes after it, lingering (a FIN, the
 * rest discarded: each later piece is another parse error, ignored here, until the client ends
 * its side or `ms` passed). Requests parsed before the bad bytes are answered first:
 * `afterReplies` (when given) runs its callback once the socket's replies in flight are written
 * and returns true, or returns false when none is. Written ahead of them, the 400 was taken for
 * the answer to a call that ran, and a client sent it again (an attacker probe, 2026-11-27).
 * A connection whose answer already began when the 400 is due cannot be answered: it is
 * destroyed, as Node does.
 */
export function answerClientError(
	error: NodeJS.ErrnoException,
	socket: Socket,
	ms: number,
	afterReplies?: (then: () => void) => boolean,
): void {
	if (waiting.has(socket)) return;
	if (!socket.writable) {
		if (!lingering.has(socket)) socket.destroy();
		return;
	}
	const text = clientErrorAnswer(error.code);
	const answer = () => {
		waiting.delete(socket);
		// A reply already begun (the bad bytes are in the body of a request whose handler is
		// streaming its answer) cannot be followed by another: the connection is cut, as Node
		// does. Written anyway, the 400 landed inside that reply (a review, 2026-11-27).
		const answering = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
		if (answering?.headersSent === true) socket.destroy();
		else if (socket.writable) endAndLinger(socket, text, ms);
	};
	if (afterReplies?.(answer) === true) waiting.add(socket);
	else answer();
}

/**
 * A whole HTTP/1.1 answer that ends its connection, with a `group/code` JSON body as every
 * other error has (a probe, 2026-11-27: these went out bodiless).
 */
export function closingAnswer(status: string, code: string, message: string): string {
	const body = encodeErrorBody(
		"json",
		toErrorPayload(new ActorError("request", code, message), false),
	);
	return `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** The answer to a request Node's parser refused (its `clientError` code). */
function clientErrorAnswer(code: string | undefined): string {
	if (code === "ERR_HTTP_REQUEST_TIMEOUT")
		return closingAnswer(
			"408 Request Timeout",
			"too_slow",
			"The request's headers or body did not arrive in time",
		);
	// Node's `maxHeaderSize` (16 KiB by default): headers too large, or too many of them.
	if (code === "HPE_HEADER_OVERFLOW")
		return closingAnswer(
			"431 Request Header Fields Too Large",
			"headers_too_large",
			"The request's headers are larger than the server takes",
		);
	return closingAnswer("400 Bad Request", "malformed", "The request is not valid HTTP/1.1");
}

/** Sockets whose parse error waits for their replies in flight (see {@link answerClientError}). */
const waiting = new WeakSet<Socket>();

/**
 * True for a socket that takes no more requests: its side is ended (an answer closed the
 * connection), or it waits for its replies to answer bytes Node could not parse. A request
 * Node parses on it is not served (it could not be answered, or would be answered out of turn).
 */
export function takesNoRequests(socket: Socket): boolean {
	return !socket.writable || waiting.has(socket);
}

/**
 * Ends `socket` (after `data`, when given) and lingers: destroyed once the client ends its side
 * too, or `ms` later at the latest (0: once the answer is written). For sockets Node's HTTP
 * server no longer watches (an upgrade refused or served as a plain request, a parse error),
 * which an `end()` alone left open for as long as the client kept its side open.
 */
export function endAndLinger(socket: Duplex, data: string | undefined, ms: number): void {
	const net = socket as Socket;
	if (data === undefined) net.end();
	else net.end(data);
	const time = span(ms);
	lingering.add(net);
	if (time === 0) afterAnswer(net, () => net.destroy());
	else linger(net, time);
}

/** Runs `then` once everything written to `socket` was handed to the kernel. */
function afterAnswer(socket: Socket, then: () => void): void {
	if (socket.writableFinished) then();
	else socket.once("finish", then);
}

function linger(socket: Socket, ms: number): void {
	if (socket.destroyed) return;
	// Bounded whatever the client does: sending forever, or never closing its side.
	const timer = setTimeout(() => socket.destroy(), ms);
	timer.unref();
	socket.once("close", () => clearTimeout(timer));
	// The client's FIN: both sides are done once the answer is out (not before: a destroy
	// would drop what is still queued).
	const done = () => afterAnswer(socket, () => socket.destroy());
	if (socket.readableEnded) done();
	else socket.once("end", done);
}
