import { concatBytes } from "../protocol/bytes.js";
import { contentTypeFor, type Encoding, encodeValue } from "../protocol/encoding.js";
import { errors, httpStatusFor, toErrorPayload } from "../protocol/errors.js";
import { encodeErrorBody } from "../protocol/http-bodies.js";
import { type BodySource, type RequestHead, readWithin } from "./incoming.js";
import { type Reply, ReplyHeaders, replyResponse } from "./reply.js";

/** The body of a Web `Request` as a {@link BodySource} (read from its stream). */
export function webBody(request: Request): BodySource {
	return {
		readAll: (limit) => readStreamLimited(request.body, limit),
		discard: async () => {
			await request.body?.cancel().catch(() => {});
		},
	};
}

async function readStreamLimited(
	body: ReadableStream<Uint8Array> | null,
	limit: number,
): Promise<Uint8Array> {
	if (body === null) return new Uint8Array(0);
	const reader = body.getReader();
	const chunks: Uint8Array[] = [];
	let total = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		total += value.byteLength;
		if (total > limit) {
			await reader.cancel().catch(() => {});
			throw errors.incomingTooLong("The request body", limit);
		}
		chunks.push(value);
	}
	return chunks.length === 1 ? (chunks[0] as Uint8Array) : concatBytes(...chunks);
}

/**
 * Reads a request body, refusing more than `limit` bytes
 * (`message/incoming_too_long`) without buffering past the limit.
 */
export function readBodyLimited(request: Request, limit: number): Promise<Uint8Array> {
	return readWithin(request, webBody(request), limit);
}

/** A response with `value` encoded in `encoding`. */
export function encodedResponse(encoding: Encoding, value: unknown, status = 200): Response {
	return bodyResponse(encoding, encodeValue(encoding, value), status);
}

/** A response with a body already encoded in `encoding`. */
export function bodyResponse(
	encoding: Encoding,
	body: string | Uint8Array,
	status = 200,
): Response {
	return new Response(body as BodyInit, {
		status,
		headers: { "content-type": contentTypeFor(encoding) },
	});
}

/** A JSON response. */
export function jsonResponse(value: unknown, status = 200): Response {
	return encodedResponse("json", value, status);
}

/**
 * The error reply for anything thrown while serving a request: status from
 * the documented map, body `{ group, code, message, metadata? }` in the
 * request's encoding. Internal errors are sanitized (and must be logged by the caller).
 */
export function errorReply(error: unknown, encoding: Encoding, exposeInternal: boolean): Reply {
	const payload = toErrorPayload(error, exposeInternal);
	const headers = new ReplyHeaders({ "content-type": contentTypeFor(encoding) });
	// Limits say when to come back (metadata.retryAfter, ms); HTTP says it in seconds.
	const retryAfter = (payload.metadata as { retryAfter?: unknown } | undefined)?.retryAfter;
	if (typeof retryAfter === "number" && Number.isFinite(retryAfter)) {
		headers.set("retry-after", String(Math.max(1, Math.ceil(retryAfter / 1000))));
	}
	return {
		status: httpStatusFor(payload.group, payload.code),
		headers,
		body: encodeErrorBody(encoding, payload),
	};
}

/** {@link errorReply} as a Web `Response`. */
export function errorResponse(
	error: unknown,
	encoding: Encoding,
	exposeInternal: boolean,
): Response {
	return replyResponse(errorReply(error, encoding, exposeInternal));
}

/**
 * Reads request bodies within the server's limits: each at most `maxBytes`,
 * at most `maxConcurrent` at once on the node and `maxPerAddress` from one
 * client address (`limit/too_many_requests` beyond), so slow uploads neither
 * hold unbounded memory nor let one client block everyone's requests.
 */
export class BodyReader {
	readonly #maxBytes: number;
	readonly #maxConcurrent: number;
	readonly #maxPerAddress: number;
	readonly #byAddress = new Map<string, number>();
	#reading = 0;

	constructor(maxBytes: number, maxConcurrent: number, maxPerAddress: number) {
		this.#maxBytes = maxBytes;
		this.#maxConcurrent = maxConcurrent;
		this.#maxPerAddress = maxPerAddress;
	}

	/** Reads `request`'s body; `address` is the client's when per-address limits apply to it. */
	read(request: Request, address: string | undefined): Promise<Uint8Array> {
		return this.readFrom(request, request.body === null ? null : webBody(request), address);
	}

	/** Reads `body` (of the request `head`) within the limits, from whichever transport. */
	async readFrom(
		head: RequestHead,
		body: BodySource | null,
		address: string | undefined,
	): Promise<Uint8Array> {
		if (body === null) return new Uint8Array(0);
		const mine = address === undefined ? 0 : (this.#byAddress.get(address) ?? 0);
		if (this.#reading >= this.#maxConcurrent || mine >= this.#maxPerAddress) {
			await body.discard().catch(() => {});
			throw errors.tooManyRequests(
				mine >= this.#maxPerAddress ? this.#maxPerAddress : this.#maxConcurrent,
			);
		}
		this.#reading++;
		if (address !== undefined) this.#byAddress.set(address, mine + 1);
		try {
			return await readWithin(head, body, this.#maxBytes);
		} finally {
			this.#reading--;
			if (address !== undefined) {
				const left = (this.#byAddress.get(address) ?? 1) - 1;
				if (left === 0) this.#byAddress.delete(address);
				else this.#byAddress.set(address, left);
			}
		}
	}
}

/**
 * `response` with an `x-request-id` header. A response whose headers are
 * immutable (one a fallback got from `fetch`) is copied first; a 101 (which
 * cannot be copied) goes back as is.
 */
export function withRequestId(response: Response, requestId: string): Response {
	try {
		response.headers.set("x-request-id", requestId);
		return response;
	} catch {
		try {
			const headers = new Headers(response.headers);
			headers.set("x-request-id", requestId);
			return new Response(response.body, {
				status: response.status,
				statusText: response.statusText,
				headers,
			});
		} catch {
			return response;
		}
	}
}
