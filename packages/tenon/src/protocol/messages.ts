import * as bare from "./bare-codec.js";
import { utf8Length } from "./bytes.js";
import {
	cborEncodeCompat,
	decodeValue,
	type Encoding,
	encodeValue,
	notPlainError,
} from "./encoding.js";
import { ActorError, type ErrorPayload, errors } from "./errors.js";
import { jsonStringifyCompat, wellFormedStrings } from "./json-compat.js";

/**
 * An action id as the client sent it. RivetKit's client sends bigints
 * (`["$BigInt","7"]` in JSON); Tenon's sends numbers. The server echoes the
 * same value back, so both work.
 */
export type ActionId = bigint | number;

/**
 * Most arguments one action call may have: an argument list is spread into
 * the action's parameters, and a huge one would overflow the call stack.
 */
export const MAX_ACTION_ARGS = 1_000;

/** Longest `traceparent` read from a message (version 00 has 55 characters; later versions may add fields). */
const MAX_TRACEPARENT_LENGTH = 256;

/** A message from client to server on a connection. */
export type ToServer =
	| {
			tag: "ActionRequest";
			id: ActionId;
			name: string;
			args: unknown[];
			/**
			 * The caller's W3C `traceparent` (JSON and CBOR only; an optional field
			 * other servers ignore, see docs/protocol.md).
			 */
			traceparent?: string;
	  }
	| { tag: "SubscriptionRequest"; eventName: string; subscribe: boolean };

/** A message from server to client on a connection. */
export type ToClient =
	| { tag: "Init"; actorId: string; connectionId: string }
	| { tag: "ActionResponse"; id: ActionId; output: unknown }
	| { tag: "Event"; name: string; args: unknown[] }
	| { tag: "Error"; error: ErrorPayload; actionId: ActionId | null };

/** Encodes a server-to-client message in the wire envelope `{ body: { tag, val } }` (or BARE). */
export function encodeToClient(encoding: Encoding, message: ToClient): string | Uint8Array {
	if (encoding === "bare") return bare.writeToClient(toBareClient(message));
	return encodeValue(encoding, { body: toClientBody(message) });
}

/**
 * An action's reply, as {@link encodeToClient} writes it, without building
 * the envelope: every reply on a connection is one, and cbor-x walks each
 * object of the envelope with a key array and a value array of its own (a
 * seventh of what row 5's server allocated). The bytes are the same as the
 * envelope's (test/server/action-response-frame.test.ts).
 */
export function encodeActionResponse(
	encoding: Encoding,
	id: ActionId,
	output: unknown,
): string | Uint8Array {
	if (typeof id === "number" && id <= 0xffff_ffff) {
		if (encoding === "cbor") return cborActionResponse(id, output);
		if (encoding === "json")
			return `${JSON_RESPONSE_HEAD}${id},"output":${jsonStringifyCompat(output, OUTPUT_DEPTH)}}}}`;
	}
	return encodeToClient(encoding, { tag: "ActionResponse", id, output });
}

const JSON_RESPONSE_HEAD = '{"body":{"tag":"ActionResponse","val":{"id":';
/** The output's depth in the envelope (body, val, output): the encoders' depth limits count from the envelope. */
const OUTPUT_DEPTH = 3;

/**
 * The CBOR envelope of a reply up to its id, and the key after the id, cut
 * from what the encoder writes for a template (so they are its own bytes):
 * the template ends with id 0 (one byte), "output" (seven) and null (one).
 * Made at first use: nothing runs when a client bundle imports this module.
 */
let cborResponse: { head: Uint8Array; outputKey: Uint8Array } | undefined;

function cborResponseParts(): { head: Uint8Array; outputKey: Uint8Array } {
	if (cborResponse === undefined) {
		const template = cborEncodeCompat({
			body: { tag: "ActionResponse", val: { id: 0, output: null } },
		});
		cborResponse = {
			head: template.slice(0, template.length - 9),
			outputKey: template.slice(template.length - 8, template.length - 1),
		};
	}
	return cborResponse;
}

function cborActionResponse(id: number, output: unknown): Uint8Array {
	const value = cborEncodeCompat(output, OUTPUT_DEPTH);
	const { head, outputKey } = cborResponseParts();
	// An unsigned integer in its shortest form (CBOR major type 0), as the encoder writes it.
	const idLength = id < 24 ? 1 : id < 0x100 ? 2 : id < 0x1_0000 ? 3 : 5;
	const frame = new Uint8Array(head.length + idLength + outputKey.length + value.length);
	frame.set(head, 0);
	let at = head.length;
	if (id < 24) frame[at] = id;
	else if (id < 0x100) {
		frame[at] = 0x18;
		frame[at + 1] = id;
	} else if (id < 0x1_0000) {
		frame[at] = 0x19;
		frame[at + 1] = id >>> 8;
		frame[at + 2] = id & 0xff;
	} else {
		frame[at] = 0x1a;
		frame[at + 1] = id >>> 24;
		frame[at + 2] = (id >>> 16) & 0xff;
		frame[at + 3] = (id >>> 8) & 0xff;
		frame[at + 4] = id & 0xff;
	}
	at += idLength;
	frame.set(outputKey, at);
	frame.set(value, at + outputKey.length);
	return frame;
}

function toBareClient(message: ToClient): bare.BareToClient {
	switch (message.tag) {
		case "Init":
			return message;
		case "ActionResponse":
			return {
				tag: "ActionResponse",
				id: BigInt(message.id),
				output: cborEncodeCompat(message.output),
			};
		case "Event":
			return { tag: "Event", name: message.name, args: cborEncodeCompat(message.args) };
		case "Error":
			return {
				tag: "Error",
				group: message.error.group,
				code: message.error.code,
				message: message.error.message,
				metadata:
					message.error.metadata === undefined
						? undefined
						: cborEncodeCompat(message.error.metadata),
				actionId: message.actionId === null ? undefined : BigInt(message.actionId),
			};
	}
}

function toClientBody(message: ToClient): { tag: string; val: unknown } {
	switch (message.tag) {
		case "Init":
			return { tag: "Init", val: { actorId: message.actorId, connectionId: message.connectionId } };
		case "ActionResponse":
			return { tag: "ActionResponse", val: { id: message.id, output: message.output } };
		case "Event":
			return { tag: "Event", val: { name: message.name, args: message.args } };
		case "Error": {
			const val: Record<string, unknown> = {
				group: message.error.group,
				code: message.error.code,
				message: message.error.message,
				actionId: message.actionId,
			};
			if (message.error.metadata !== undefined) val.metadata = message.error.metadata;
			return { tag: "Error", val };
		}
	}
}

/** Encodes a client-to-server message. */
export function encodeToServer(encoding: Encoding, message: ToServer): string | Uint8Array {
	if (encoding === "bare") {
		return bare.writeToServer(
			message.tag === "ActionRequest"
				? {
						tag: "ActionRequest",
						id: BigInt(message.id),
						name: message.name,
						args: cborEncodeCompat(message.args),
					}
				: message,
		);
	}
	switch (message.tag) {
		case "ActionRequest":
			return encodeValue(encoding, {
				body: {
					tag: "ActionRequest",
					val:
						message.traceparent === undefined
							? { id: message.id, name: message.name, args: message.args }
							: {
									id: message.id,
									name: message.name,
									args: message.args,
									traceparent: message.traceparent,
								},
				},
			});
		case "SubscriptionRequest":
			return encodeValue(encoding, {
				body: {
					tag: "SubscriptionRequest",
					val: { eventName: message.eventName, subscribe: message.subscribe },
				},
			});
	}
}

/** The outcome of decoding a client message: the message, or an error to report. */
export type DecodedToServer =
	| { ok: true; message: ToServer }
	| { ok: false; error: ActorError; actionId: ActionId | null };

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isActionId(value: unknown): value is ActionId {
	if (typeof value === "bigint") return value >= 0n;
	return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Decodes and validates a client message. Never throws: a message that cannot
 * be decoded or has the wrong shape becomes an error, tied to its action id
 * when the id itself was readable.
 */
export function decodeToServer(
	encoding: Encoding,
	data: string | Uint8Array,
	maxNameBytes: number,
): DecodedToServer {
	if (encoding === "bare") return decodeBareToServer(data, maxNameBytes);
	let decoded: unknown;
	try {
		decoded = decodeValue(encoding, data, true);
		if (encoding === "json") decoded = wellFormedStrings(decoded, data);
	} catch (error) {
		return { ok: false, error: error as ActorError, actionId: null };
	}
	return checkToServer(decoded, data, maxNameBytes);
}

/** A BARE message: its frame, then its CBOR arguments, checked like the other encodings. */
function decodeBareToServer(data: string | Uint8Array, maxNameBytes: number): DecodedToServer {
	let message: bare.BareToServer;
	try {
		if (typeof data === "string") throw new Error("BARE messages must be binary");
		message = bare.readToServer(data);
	} catch (error) {
		if (bare.isVersionError(error)) return { ok: false, error, actionId: null };
		return { ok: false, error: errors.malformed(`bare: ${describe(error)}`), actionId: null };
	}
	if (message.tag === "SubscriptionRequest")
		return checkToServer({ body: { tag: message.tag, val: message } }, data, maxNameBytes);
	let args: unknown;
	try {
		args = decodeValue("cbor", message.args, true);
	} catch (error) {
		return { ok: false, error: error as ActorError, actionId: message.id };
	}
	const val = { id: message.id, name: message.name, args };
	return checkToServer({ body: { tag: "ActionRequest", val } }, message.args, maxNameBytes);
}

function describe(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** Checks the shape of a decoded client message (`data` is what its values came from). */
function checkToServer(
	decoded: unknown,
	data: string | Uint8Array,
	maxNameBytes: number,
): DecodedToServer {
	const body = isRecord(decoded) ? decoded.body : undefined;
	if (!isRecord(body) || typeof body.tag !== "string" || !isRecord(body.val)) {
		return {
			ok: false,
			error: errors.malformed("expected { body: { tag, val } }"),
			actionId: null,
		};
	}
	const val = body.val;
	switch (body.tag) {
		case "ActionRequest": {
			if (!isActionId(val.id)) {
				return {
					ok: false,
					error: errors.invalid("action id must be a non-negative integer"),
					actionId: null,
				};
			}
			const id = val.id;
			if (typeof val.name !== "string" || val.name === "") {
				return {
					ok: false,
					error: errors.invalid("action name must be a non-empty string"),
					actionId: id,
				};
			}
			if (utf8Length(val.name) > maxNameBytes) {
				return {
					ok: false,
					error: errors.invalid(`action name exceeds ${maxNameBytes} bytes`),
					actionId: id,
				};
			}
			const args = val.args === undefined ? [] : val.args;
			if (!Array.isArray(args)) {
				return { ok: false, error: errors.invalid("action args must be an array"), actionId: id };
			}
			if (args.length > MAX_ACTION_ARGS) {
				return {
					ok: false,
					error: errors.invalid(`an action takes at most ${MAX_ACTION_ARGS} arguments`),
					actionId: id,
				};
			}
			const notPlain = notPlainError(args, data, "args");
			if (notPlain) return { ok: false, error: notPlain, actionId: id };
			// An unreadable trace context is dropped, not refused: tracing never fails a call.
			const traceparent =
				typeof val.traceparent === "string" && val.traceparent.length <= MAX_TRACEPARENT_LENGTH
					? val.traceparent
					: undefined;
			return {
				ok: true,
				message:
					traceparent === undefined
						? { tag: "ActionRequest", id, name: val.name, args }
						: { tag: "ActionRequest", id, name: val.name, args, traceparent },
			};
		}
		case "SubscriptionRequest": {
			if (typeof val.eventName !== "string" || typeof val.subscribe !== "boolean") {
				return {
					ok: false,
					error: errors.invalid("subscription needs eventName (string) and subscribe (boolean)"),
					actionId: null,
				};
			}
			if (utf8Length(val.eventName) > maxNameBytes) {
				return {
					ok: false,
					error: errors.invalid(`event name exceeds ${maxNameBytes} bytes`),
					actionId: null,
				};
			}
			return {
				ok: true,
				message: { tag: "SubscriptionRequest", eventName: val.eventName, subscribe: val.subscribe },
			};
		}
		default:
			return {
				ok: false,
				error: errors.invalid(`unknown message tag '${body.tag}'`),
				actionId: null,
			};
	}
}

/**
 * Decodes a server message on the client. Throws `request/malformed` when the
 * server sent something this client does not understand.
 */
export function decodeToClient(encoding: Encoding, data: string | Uint8Array): ToClient {
	if (encoding === "bare") return decodeBareToClient(data);
	const decoded = decodeValue(encoding, data);
	const body = isRecord(decoded) ? decoded.body : undefined;
	if (!isRecord(body) || !isRecord(body.val))
		throw errors.malformed("expected { body: { tag, val } }");
	const val = body.val;
	switch (body.tag) {
		case "Init":
			if (typeof val.actorId !== "string" || typeof val.connectionId !== "string") break;
			return { tag: "Init", actorId: val.actorId, connectionId: val.connectionId };
		case "ActionResponse":
			if (!isActionId(val.id)) break;
			return { tag: "ActionResponse", id: val.id, output: val.output };
		case "Event":
			if (typeof val.name !== "string") break;
			return {
				tag: "Event",
				name: val.name,
				args: Array.isArray(val.args) ? val.args : [val.args],
			};
		case "Error": {
			if (typeof val.group !== "string" || typeof val.code !== "string") break;
			const actionId = val.actionId === null || val.actionId === undefined ? null : val.actionId;
			if (actionId !== null && !isActionId(actionId)) break;
			const error: ErrorPayload = {
				group: val.group,
				code: val.code,
				message: typeof val.message === "string" ? val.message : "",
			};
			if (val.metadata !== undefined) error.metadata = val.metadata;
			return { tag: "Error", error, actionId };
		}
	}
	throw errors.malformed(`unexpected server message '${String(body.tag)}'`);
}

function decodeBareToClient(data: string | Uint8Array): ToClient {
	if (typeof data === "string") throw errors.malformed("BARE messages must be binary");
	let message: bare.BareToClient;
	try {
		message = bare.readToClient(data);
	} catch (error) {
		throw errors.malformed(`bare: ${describe(error)}`);
	}
	switch (message.tag) {
		case "Init":
			return message;
		case "ActionResponse":
			return { tag: "ActionResponse", id: message.id, output: decodeValue("cbor", message.output) };
		case "Event": {
			const args = decodeValue("cbor", message.args);
			return { tag: "Event", name: message.name, args: Array.isArray(args) ? args : [args] };
		}
		case "Error": {
			const error: ErrorPayload = {
				group: message.group,
				code: message.code,
				message: message.message,
			};
			if (message.metadata !== undefined) error.metadata = decodeValue("cbor", message.metadata);
			return { tag: "Error", error, actionId: message.actionId ?? null };
		}
	}
}

/** Builds a client-side `ActorError` from a wire payload. */
export function actorErrorFromPayload(payload: ErrorPayload): ActorError {
	return new ActorError(payload.group, payload.code, payload.message, payload.metadata);
}
