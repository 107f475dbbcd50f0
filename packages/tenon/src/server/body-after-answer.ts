// What becomes of a raw request body (`onRequest`) once its handler answered. It holds one of
// the node's body slots while it is read ahead (up to `maxHttpBodyBytes`), so it must not
// outlive its use: given back at the answer, a body a streamed response outlived was still
// read with no slot held (8 of them held 128 MiB with 2 slots); kept until the body ended, a
// body cut off after a finished answer held its slot for as long as the rate floor allowed
// (Node detaches a request whose response finished: its socket's close never reached it).

import { relayBody } from "../common/relay-body.js";
import { errors } from "../protocol/errors.js";

/** A request body streamed to a handler (BodyReader.stream). */
export interface StreamedBody {
	readonly stream: ReadableStream<Uint8Array>;
	/** True once it ended, failed or was cancelled (its slot is back). */
	readonly ended: boolean;
	/** Stops reading it and gives its slot back. */
	abandon(): void;
}

/**
 * The response to send for a handler's answer: a body the handler never started to read is
 * abandoned now; one it reads stays until the response is done (a handler that streams the
 * body back, or reads while it answers), then is abandoned too.
 */
export function bodyAfterAnswer(response: Response, body: StreamedBody | undefined): Response {
	if (body === undefined || body.ended) return response;
	if (!body.stream.locked || response.body === null) {
		body.abandon();
		return response;
	}
	// highWaterMark 0: the body is read only as the client reads the response.
	return relayBody(response, response.body.getReader(), () => body.abandon(), 0);
}

/**
 * `request` for a handler of ours (a raw `onRequest`, the server's
 * fallback), its body streamed within the body limits (`streamBody`: a
 * slot, the rate floor, at most `maxBytes`; one that declares more is
 * refused at once): the new request, and its body to give to
 * {@link bodyAfterAnswer} (or abandon) once the handler answered.
 */
export function withStreamedBody(
	request: Request,
	streamBody: (body: ReadableStream<Uint8Array>) => StreamedBody,
	maxBytes: number,
	init: { url?: URL; headers?: Headers } = {},
): { request: Request; body: StreamedBody | undefined } {
	const hasBody = request.method !== "GET" && request.method !== "HEAD" && request.body !== null;
	const declared = request.headers.get("content-length");
	if (hasBody && declared !== null && Number(declared) > maxBytes)
		throw errors.incomingTooLong("The request body", maxBytes);
	if (!hasBody && init.url === undefined && init.headers === undefined)
		return { request, body: undefined };
	const body = hasBody ? streamBody(request.body as ReadableStream<Uint8Array>) : undefined;
	const streamed = new Request(init.url ?? request.url, {
		method: request.method,
		headers: init.headers ?? request.headers,
		signal: request.signal,
		...(body === undefined ? {} : { body: body.stream, duplex: "half" }),
	} as RequestInit);
	return { request: streamed, body };
}
