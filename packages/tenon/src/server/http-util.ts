import { contentTypeFor, type Encoding, encodeValue } from "../protocol/encoding.js";
import { errors, httpStatusFor, toErrorPayload } from "../protocol/errors.js";
import { encodeErrorBody } from "../protocol/http-bodies.js";
import type { Limits } from "../protocol/limits.js";
import type { StreamedBody } from "./body-after-answer.js";
import { BodyChunks } from "./body-chunks.js";
import { BodyPace, type PacedRead } from "./body-pace.js";
import { HeldBodies } from "./held-bodies.js";
import { type BodySource, type RequestHead, readWithin } from "./incoming.js";
import { type Reply, ReplyHeaders, replyResponse } from "./reply.js";

/** The body of a Web `Request` as a {@link BodySource} (read from its stream). */
export function webBody(request: Request): BodySource {
	return new WebBody(request.body);
}

/** A Web `Request`'s body stream as a {@link BodySource}. */
class WebBody implements BodySource {
	readonly #body: ReadableStream<Uint8Array> | null;
	received = 0;
	#reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
	#aborted: Error | undefined;

	constructor(body: ReadableStream<Uint8Array> | null) {
		this.#body = body;
	}

	async readAll(limit: number, arrived?: (received: number) => void): Promise<Uint8Array> {
		if (this.#body === null) return new Uint8Array(0);
		const reader = this.#body.getReader();
		this.#reader = reader;
		const chunks = new BodyChunks();
		for (;;) {
			let read: ReadableStreamReadResult<Uint8Array>;
			try {
				read = await reader.read();
			} catch (error) {
				throw this.#aborted ?? error;
			}
			if (this.#aborted) throw this.#aborted;
			const { done, value } = read;
			if (done) break;
			this.received += value.byteLength;
			if (this.received > limit) {
				await reader.cancel().catch(() => {});
				throw errors.incomingTooLong("The request body", limit);
			}
			try {
				arrived?.(this.received);
			} catch (error) {
				await reader.cancel().catch(() => {});
				throw error;
			}
			chunks.add(value);
		}
		return chunks.bytes(false);
	}

	async discard(): Promise<void> {
		await this.#body?.cancel().catch(() => {});
	}

	abort(error: Error): void {
		if (this.#aborted) return;
		this.#aborted = error;
		// The pending read settles (cancelled): readAll then throws `error`.
		void this.#reader?.cancel(error).catch(() => {});
	}
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
/** The limits a {@link BodyReader} reads within. */
export type BodyLimits = Pick<
	Limits,
	| "maxHttpBodyBytes"
	| "maxConcurrentRequestBodies"
	| "maxConcurrentRequestBodiesPerAddress"
	| "minRequestBodyBytesPerSecond"
	| "requestBodyGraceMs"
	| "minRequestBodyBytesPerSecondWhenBusy"
	| "maxBufferedBodyBytes"
	| "maxBufferedBodyBytesPerAddress"
>;

export class BodyReader {
	readonly #maxBytes: number;
	readonly #maxConcurrent: number;
	readonly #maxPerAddress: number;
	readonly #byAddress = new Map<string, number>();
	readonly #pace: BodyPace;
	#reading = 0;

	/** The bodies read and not yet answered (see {@link HeldBodies}). */
	readonly held: HeldBodies;

	constructor(limits: BodyLimits) {
		this.held = new HeldBodies(limits.maxBufferedBodyBytes, limits.maxBufferedBodyBytesPerAddress);
		this.#maxBytes = limits.maxHttpBodyBytes;
		this.#maxConcurrent = limits.maxConcurrentRequestBodies;
		this.#maxPerAddress = limits.maxConcurrentRequestBodiesPerAddress;
		this.#pace = new BodyPace(
			limits.minRequestBodyBytesPerSecond,
			limits.requestBodyGraceMs,
			limits.minRequestBodyBytesPerSecondWhenBusy,
		);
	}

	/** Reads `request`'s body; `address` is the client's when per-address limits apply to it. */
	read(request: Request, address: string | undefined, holder?: object): Promise<Uint8Array> {
		return this.readFrom(request, request.body === null ? null : webBody(request), address, holder);
	}

	/**
	 * `body` as a stream within the limits, for a handler that reads it as it
	 * comes (a raw `onRequest`): a slot is taken now (`limit/too_many_requests`
	 * past the limits, the body cancelled), the body is read ahead as the
	 * client sends it (so the rate floor measures the client, not a handler
	 * that reads slowly; at most `maxBytes` is held), and reading past
	 * `maxBytes` or slower than the floor errors the stream
	 * (`message/incoming_too_long`, `request/body_too_slow`). `release` gives
	 * the slot back; the end of the body, an error or a cancel does too.
	 * Before 2026-11-25 such bodies took no slot and met no floor (an
	 * attacker probe's bodies dripping a byte a second stayed open 60 s).
	 */
	stream(body: ReadableStream<Uint8Array>, address: string | undefined): StreamedBody {
		const refused = this.#take(address);
		if (refused !== undefined) {
			void body.cancel().catch(() => {});
			throw refused;
		}
		const reader = body.getReader();
		const maxBytes = this.#maxBytes;
		let released = false;
		let out: ReadableStreamDefaultController<Uint8Array> | undefined;
		const release = () => {
			if (released) return;
			released = true;
			this.#pace.done(pacedRead);
			this.#giveFor(pacedRead, address);
		};
		const fail = (error: Error) => {
			release();
			try {
				out?.error(error);
			} catch {
				// Already closed or errored.
			}
			void reader.cancel(error).catch(() => {});
		};
		const paced = { received: 0, abort: fail };
		const pacedRead = this.#pace.watch(paced, address);
		const stream = new ReadableStream<Uint8Array>(
			{
				start(controller) {
					out = controller;
				},
				async pull(controller) {
					try {
						const { done, value } = await reader.read();
						if (done) {
							release();
							controller.close();
							return;
						}
						paced.received += value.byteLength;
						if (paced.received > maxBytes)
							fail(errors.incomingTooLong("The request body", maxBytes));
						else controller.enqueue(value);
					} catch (error) {
						fail(error as Error);
					}
				},
				cancel(reason) {
					release();
					return reader.cancel(reason);
				},
			},
			new ByteLengthQueuingStrategy({ highWaterMark: maxBytes }),
		);
		// Nobody will read it (the request was refused): the rest is not read, the slot goes back.
		const abandon = () => {
			release();
			try {
				out?.close();
			} catch {
				// Already closed or errored.
			}
			void reader.cancel().catch(() => {});
		};
		return {
			stream,
			abandon,
			get ended() {
				return released;
			},
		};
	}

	/**
	 * Reads `body` (of the request `head`) within the limits, from whichever
	 * transport. Its bytes count against the node's held bodies until
	 * `holder` (the request's) is let go ({@link letGo}).
	 */
	async readFrom(
		head: RequestHead,
		body: BodySource | null,
		address: string | undefined,
		holder?: object,
	): Promise<Uint8Array> {
		if (body === null) return new Uint8Array(0);
		const refused = this.#take(address);
		if (refused !== undefined) {
			await body.discard().catch(() => {});
			throw refused;
		}
		const read = this.#pace.watch(body, address);
		// Counted as it arrives; a read for no request (no holder) counts while it runs.
		const counted = holder ?? {};
		try {
			return await readWithin(head, body, this.#maxBytes, (received) =>
				this.held.arrived(counted, received, address),
			);
		} finally {
			this.#pace.done(read);
			this.#giveFor(read, address);
			if (holder === undefined) this.held.letGo(counted);
		}
	}

	/** `holder`'s request was answered: the bodies it read no longer count. */
	letGo(holder: object): void {
		this.held.letGo(holder);
	}

	/**
	 * Takes a body slot (on the node, and `address`'s), or returns why none is
	 * free. With every slot of the node taken (and one of the address's free),
	 * the slowest read too slow for a busy server gives its slot up.
	 */
	#take(address: string | undefined): Error | undefined {
		let mine = address === undefined ? 0 : (this.#byAddress.get(address) ?? 0);
		if (this.#reading >= this.#maxConcurrent && mine < this.#maxPerAddress) {
			const evicted = this.#pace.evictSlowest();
			if (evicted !== undefined) {
				this.#give(evicted.address);
				// The evicted read may be this address's own: its count is one less now
				// (counted from before, it stayed one too high for good: a review).
				if (address !== undefined) mine = this.#byAddress.get(address) ?? 0;
			}
		}
		if (this.#reading >= this.#maxConcurrent || mine >= this.#maxPerAddress)
			return errors.tooManyRequests(
				mine >= this.#maxPerAddress ? this.#maxPerAddress : this.#maxConcurrent,
			);
		this.#reading++;
		if (address !== undefined) this.#byAddress.set(address, mine + 1);
		return undefined;
	}

	/** Gives back the slot of `read` (of `address`), unless it went back when the read was evicted. */
	#giveFor(read: PacedRead | undefined, address: string | undefined): void {
		if (read?.evicted !== true) this.#give(address);
	}

	/** Gives back a slot {@link #take} took. */
	#give(address: string | undefined): void {
		this.#reading--;
		if (address === undefined) return;
		const left = (this.#byAddress.get(address) ?? 1) - 1;
		if (left === 0) this.#byAddress.delete(address);
		else this.#byAddress.set(address, left);
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
