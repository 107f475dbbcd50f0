// What the server's checks and its action route read of a request, in types
// that do not depend on the transport. A Web `Request` is a `RequestHead` as
// it is; the Node adapter makes one from an `IncomingMessage` without
// building a `Request` (see node-incoming.ts), so both reach the same code.

import { errors } from "../protocol/errors.js";

/** One header's value, repeated headers joined with ", " (what `Headers#get` returns), or null. */
export interface HeaderLookup {
	get(name: string): string | null;
}

/** The method, absolute URL and headers of a request. `Request` has this shape. */
export interface RequestHead {
	readonly method: string;
	/** The absolute URL, e.g. `http://localhost:6420/gateway/counter/action/increment`. */
	readonly url: string;
	readonly headers: HeaderLookup;
}

/** A request's body, read whole and within a limit by the server's {@link BodyReader}. */
export interface BodySource {
	/**
	 * Reads the whole body. Past `limit` bytes it stops, discards the rest and
	 * throws `message/incoming_too_long`; a client that goes away mid-body
	 * makes it throw an `AbortError`. `arrived` hears the bytes received so
	 * far after each chunk; what it throws ends the read the same way.
	 */
	readAll(limit: number, arrived?: (received: number) => void): Promise<Uint8Array>;
	/** The body is refused unread: whatever still arrives is discarded. */
	discard(): Promise<void>;
	/** Bytes of the body received so far (by {@link readAll}). */
	readonly received: number;
	/**
	 * Ends a {@link readAll} in progress with `error` (a client too slow):
	 * the rest of the body is left unread, and the connection is not reused.
	 */
	abort(error: Error): void;
}

/**
 * A WebSocket upgrade request as the core's upgrade hook takes it: its head,
 * and its headers as Web `Headers` made on first use (for hooks).
 */
export interface IncomingUpgrade {
	readonly head: RequestHead;
	webHeaders(): Headers;
}

/** A request as the transport-neutral routes take it. */
export interface IncomingCall {
	readonly head: RequestHead;
	/** Null when the request has none (a Web `Request` made without a body). */
	readonly body: BodySource | null;
	/** All headers as Web `Headers` (what hooks see in `c.request.headers`), made on first use. */
	webHeaders(): Headers;
}

/**
 * Reads `body` within `limit` bytes: a declared `content-length` over the
 * limit is refused before anything is read.
 */
export async function readWithin(
	head: RequestHead,
	body: BodySource,
	limit: number,
	arrived?: (received: number) => void,
): Promise<Uint8Array> {
	const declared = head.headers.get("content-length");
	if (declared !== null && Number(declared) > limit) {
		await body.discard().catch(() => {});
		throw errors.incomingTooLong("The request body", limit);
	}
	return body.readAll(limit, arrived);
}
