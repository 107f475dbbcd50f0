import { concatBytes } from "../protocol/bytes.js";
import { contentTypeFor, type Encoding, encodeValue } from "../protocol/encoding.js";
import { errors, httpStatusFor, toErrorPayload } from "../protocol/errors.js";

/**
 * Reads a request body, refusing more than `limit` bytes
 * (`message/incoming_too_long`) without buffering past the limit.
 */
export async function readBodyLimited(request: Request, limit: number): Promise<Uint8Array> {
	const declared = request.headers.get("content-length");
	if (declared !== null && Number(declared) > limit) {
		await request.body?.cancel().catch(() => {});
		throw errors.incomingTooLong("The request body", limit);
	}
	if (request.body === null) return new Uint8Array(0);
	const reader = request.body.getReader();
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

/** A response with `value` encoded in `encoding`. */
export function encodedResponse(encoding: Encoding, value: unknown, status = 200): Response {
	const body = encodeValue(encoding, value);
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
 * The error response for anything thrown while serving a request: status from
 * the documented map, body `{ group, code, message, metadata? }` in the
 * request's encoding. Internal errors are sanitized (and must be logged by the caller).
 */
export function errorResponse(
	error: unknown,
	encoding: Encoding,
	exposeInternal: boolean,
): Response {
	const payload = toErrorPayload(error, exposeInternal);
	return encodedResponse(encoding, payload, httpStatusFor(payload.group, payload.code));
}
