// A connection answered before its request body was read to the end (a body refused as too
// large, too slow or malformed, one its handler did not read, a server error) is closed after
// the answer, so that no next request starts in the middle of that body. Node closes it the
// moment the answer is written: its socket is destroyed with the rest of the body unread or
// still arriving, and the kernel then resets the connection (RFC 1122, 4.2.2.13). A client
// still sending hits the reset on its next write, and many never read the answer that came
// before it: Python's `http.client` and Node's `net` sockets fail the write and stop, so an
// upload over a limit reads as "connection reset" instead of its 413 or 400.
//
// So such a connection closes the way nginx's `lingering_close` does: the answer goes out
// with a FIN (our side of the connection is done), the rest of the client's body is read and
// discarded (by Node's parser into a dumped request), and the socket is destroyed once the
// client ends its side too, or after `ms` at the latest, whichever comes first. Node offers no
// option for it; its `http` server closes a `Connection: close` response's socket through
// `socket.destroySoon()`, so that method is replaced on the socket of such an answer only.

import type { Socket } from "node:net";

const lingering = new WeakSet<Socket>();

/**
 * Makes Node's close of `socket` after the current answer a lingering one (see above): call it
 * whenever an answer ends its connection while the request's body is not read to its end.
 * `ms` 0 leaves Node's immediate close.
 */
export function lingerAfterAnswer(socket: Socket | null | undefined, ms: number): void {
	if (socket == null || ms <= 0 || lingering.has(socket)) return;
	lingering.add(socket);
	socket.destroySoon = function lingeringDestroySoon(this: Socket): void {
		if (this.writable) this.end();
		linger(this, ms);
	};
}

/**
 * For a socket already ended with an answer of our own (a request Node could not parse, or
 * too slow): what is still arriving is discarded (each piece is another parse error, see
 * {@link isLingering}), and the socket is destroyed once the client ends its side, or after
 * `ms`. `ms` 0 destroys it once the answer is written.
 */
export function lingerAfterEnd(socket: Socket, ms: number): void {
	if (ms <= 0) {
		if (socket.writableFinished) socket.destroy();
		else socket.once("finish", () => socket.destroy());
		return;
	}
	lingering.add(socket);
	linger(socket, ms);
}

/** A socket that answered and now only discards what arrives until it closes. */
export function isLingering(socket: object): boolean {
	return lingering.has(socket as Socket);
}

function linger(socket: Socket, ms: number): void {
	if (socket.destroyed) return;
	// Bounded whatever the client does: sending forever, or never closing its side.
	const timer = setTimeout(() => socket.destroy(), ms);
	timer.unref();
	socket.once("close", () => clearTimeout(timer));
	// The client's FIN: both sides are done (ours was ended with the answer).
	socket.once("end", () => socket.destroy());
}
