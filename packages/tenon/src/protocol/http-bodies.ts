// The bodies of the gateway's HTTP routes in each encoding. JSON and CBOR
// send objects (`{ args }`, `{ output }`, `{ body, wait, timeout }`, error
// payloads); BARE sends RivetKit's versioned messages with CBOR values inside.
// Server side decodes untrusted input (with the plain-data checks); the
// client side is Tenon's client.

import * as bare from "./bare-codec.js";
import {
	cborEncodeCompat,
	decodeUntrusted,
	decodeValue,
	type Encoding,
	encodeValue,
} from "./encoding.js";
import { type ErrorPayload, errors } from "./errors.js";
import { wellFormedStrings } from "./json-compat.js";

function malformed(error: unknown): never {
	if (bare.isVersionError(error)) throw error;
	throw errors.malformed(`bare: ${error instanceof Error ? error.message : String(error)}`);
}

/** A request body as an object (`{}` when empty); throws `request/*` errors for bad input. */
export function decodeRequestBody(
	encoding: Encoding,
	kind: "action" | "queue",
	raw: Uint8Array,
): Record<string, unknown> {
	if (raw.byteLength === 0) return {};
	if (encoding !== "bare") {
		const decoded = decodeUntrusted(encoding, raw, "body");
		const body = encoding === "json" ? wellFormedStrings(decoded, raw) : decoded;
		if (typeof body !== "object" || body === null || Array.isArray(body))
			throw errors.invalid("the body must be an object");
		return body as Record<string, unknown>;
	}
	if (kind === "action") {
		let args: Uint8Array;
		try {
			({ args } = bare.readHttpActionRequest(raw));
		} catch (error) {
			malformed(error);
		}
		return { args: decodeUntrusted("cbor", args, "body.args") };
	}
	let message: bare.BareQueueSend;
	try {
		message = bare.readHttpQueueSendRequest(raw);
	} catch (error) {
		malformed(error);
	}
	const body: Record<string, unknown> = {
		body: decodeUntrusted("cbor", message.body, "body.body"),
	};
	if (message.wait !== undefined) body.wait = message.wait;
	if (message.timeout !== undefined) body.timeout = Number(message.timeout);
	return body;
}

/** An action's reply body. */
export function encodeActionReply(encoding: Encoding, output: unknown): string | Uint8Array {
	if (encoding === "bare") return bare.writeHttpActionResponse(cborEncodeCompat(output));
	return encodeValue(encoding, { output });
}

/** A queue send's reply body. */
export function encodeQueueReply(
	encoding: Encoding,
	result: { status: string; response?: unknown },
): string | Uint8Array {
	if (encoding === "bare") {
		const response = "response" in result ? cborEncodeCompat(result.response) : undefined;
		return bare.writeHttpQueueSendResponse(result.status, response);
	}
	return encodeValue(encoding, result);
}

/** An error body. */
export function encodeErrorBody(encoding: Encoding, payload: ErrorPayload): string | Uint8Array {
	if (encoding !== "bare") return encodeValue(encoding, payload);
	return bare.writeHttpResponseError({
		group: payload.group,
		code: payload.code,
		message: payload.message,
		metadata: payload.metadata === undefined ? undefined : cborEncodeCompat(payload.metadata),
	});
}

// ---- Tenon's client -----------------------------------------------------------------

/** An action call's request body. */
export function encodeActionCall(encoding: Encoding, args: unknown[]): string | Uint8Array {
	if (encoding === "bare") return bare.writeHttpActionRequest(cborEncodeCompat(args));
	return encodeValue(encoding, { args });
}

/** A queue send's request body. */
export function encodeQueueSend(
	encoding: Encoding,
	send: { name?: string; body: unknown; wait?: boolean; timeout?: number },
): string | Uint8Array {
	if (encoding !== "bare") return encodeValue(encoding, send);
	return bare.writeHttpQueueSendRequest({
		body: cborEncodeCompat(send.body),
		name: send.name,
		wait: send.wait,
		timeout: send.timeout === undefined ? undefined : BigInt(Math.max(0, Math.floor(send.timeout))),
	});
}

/** Decodes a reply body (`kind` says which message a BARE reply is); errors are error payloads. */
export function decodeReplyBody(
	encoding: Encoding,
	kind: "action" | "queue" | "error",
	bytes: Uint8Array,
): unknown {
	if (encoding !== "bare") return decodeValue(encoding, bytes);
	try {
		switch (kind) {
			case "action":
				return { output: decodeValue("cbor", bare.readHttpActionResponse(bytes).output) };
			case "queue": {
				const reply = bare.readHttpQueueSendResponse(bytes);
				return reply.response === undefined
					? { status: reply.status }
					: { status: reply.status, response: decodeValue("cbor", reply.response) };
			}
			case "error": {
				const error = bare.readHttpResponseError(bytes);
				const payload: ErrorPayload = {
					group: error.group,
					code: error.code,
					message: error.message,
				};
				if (error.metadata !== undefined) payload.metadata = decodeValue("cbor", error.metadata);
				return payload;
			}
		}
	} catch (error) {
		malformed(error);
	}
}
