// RivetKit's client protocol in BARE (its default encoding): every message is
// a BARE value prefixed with the schema version as a little-endian u16 (the
// `vbare` convention). Values inside (arguments, outputs, event arguments,
// error metadata, queue bodies) are CBOR in RivetKit's compat form.
//
// The layouts follow the schemas RivetKit publishes (client protocol v1-v4;
// read from its package, written here with the primitives of @rivetkit/bare-ts, RivetKit's
// maintained fork of @bare-ts/lib: 0.6.0 of the original writes every length of 16 KiB or
// more wrong (its `writeUintSafe32` repeats the low 7 bits in a varint of three bytes or
// more; test/server/bare-lengths.test.ts checks every varint width)):
//   ToServer = { body: ActionRequest { id: uint, name: str, args: data }
//                    | SubscriptionRequest { eventName: str, subscribe: bool } }
//   ToClient = { body: Init { actorId: str, connectionId: str [, connectionToken: str in v1] }
//                    | Error { group, code, message: str, metadata: data?, actionId: uint?
//                              [, actor: ActorSpecifier? in v4] }
//                    | ActionResponse { id: uint, output: data }
//                    | Event { name: str, args: data } }
//   HttpActionRequest { args: data }     HttpActionResponse { output: data }
//   HttpQueueSendRequest { body: data, name: str?, wait: bool?, timeout: u64? }   (v3+)
//   HttpQueueSendResponse { status: str, response: data? }                       (v3+)
//   HttpResponseError { group, code, message: str, metadata: data? [, actor? in v4] }
// Servers read every version from 1 and write the newest; a client of a
// newer version gets a clear `request/unsupported_version`, never garbage.

import * as bare from "@rivetkit/bare-ts";
import { ActorError } from "./errors.js";

/** The newest client-protocol version (what Tenon writes). */
export const BARE_VERSION = 4;
/** The oldest version Tenon reads. */
export const BARE_MIN_VERSION = 1;

const CONFIG = bare.Config({ initialBufferLength: 256, maxBufferLength: 64 * 1024 * 1024 });

const versionErrors = {
	unsupported: (version: number, min = BARE_MIN_VERSION, what = "client protocol") =>
		new ActorError(
			"request",
			"unsupported_version",
			`This server speaks ${what} versions ${min} to ${BARE_VERSION}, not ${version}: use a matching client`,
			{ version, supported: [min, BARE_VERSION] },
		),
};

/** The first client-protocol version with queue sends over HTTP. */
const QUEUE_SEND_MIN_VERSION = 3;

/** A decoded message: its version and a cursor on its payload. */
function open(bytes: Uint8Array): { version: number; bc: bare.ByteCursor } {
	if (bytes.byteLength < 2) throw new Error("too short for a versioned message");
	const version = (bytes[0] as number) | ((bytes[1] as number) << 8);
	if (version < BARE_MIN_VERSION || version > BARE_VERSION)
		throw versionErrors.unsupported(version);
	return { version, bc: new bare.ByteCursor(bytes.subarray(2), CONFIG) };
}

function finish(bc: bare.ByteCursor): void {
	if (bc.offset < bc.bytes.byteLength) throw new Error("bytes left after the message");
}

/**
 * Writes a versioned message with `write`. `bytesHint` is the length of the
 * embedded values it copies: sizing the buffer up front saves the regrowths
 * that otherwise cost more than the copy itself.
 */
function build(version: number, write: (bc: bare.ByteCursor) => void, bytesHint = 0): Uint8Array {
	const bc = new bare.ByteCursor(new Uint8Array(CONFIG.initialBufferLength + bytesHint), CONFIG);
	bare.writeU16(bc, version);
	write(bc);
	return new Uint8Array(bc.view.buffer, bc.view.byteOffset, bc.offset);
}

function readBytes(bc: bare.ByteCursor): Uint8Array {
	// A copy: values decoded from it must not keep the whole message alive.
	return bare.readU8Array(bc);
}

function writeBytes(bc: bare.ByteCursor, bytes: Uint8Array): void {
	// Not `writeData`: it takes an ArrayBuffer, and the buffer behind a view
	// (cbor-x's output, a Node Buffer) is larger than the view; writing it
	// sent 8 KiB of stale memory once.
	bare.writeU8Array(bc, bytes);
}

function readOptional<T>(bc: bare.ByteCursor, read: (bc: bare.ByteCursor) => T): T | undefined {
	return bare.readBool(bc) ? read(bc) : undefined;
}

function writeOptional<T>(
	bc: bare.ByteCursor,
	value: T | undefined,
	write: (bc: bare.ByteCursor, value: T) => void,
): void {
	bare.writeBool(bc, value !== undefined);
	if (value !== undefined) write(bc, value);
}

// ---- Connection messages --------------------------------------------------------

/** A client message with its values still CBOR (decoded by the caller, with its checks). */
export type BareToServer =
	| { tag: "ActionRequest"; id: bigint; name: string; args: Uint8Array }
	| { tag: "SubscriptionRequest"; eventName: string; subscribe: boolean };

/** Reads a client-to-server message of any supported version. Throws on anything else. */
export function readToServer(bytes: Uint8Array): BareToServer {
	const { bc } = open(bytes);
	const tag = bare.readU8(bc);
	let message: BareToServer;
	switch (tag) {
		case 0:
			message = {
				tag: "ActionRequest",
				id: bare.readUint(bc),
				name: bare.readString(bc),
				args: readBytes(bc),
			};
			break;
		case 1:
			message = {
				tag: "SubscriptionRequest",
				eventName: bare.readString(bc),
				subscribe: bare.readBool(bc),
			};
			break;
		default:
			throw new Error(`unknown message tag ${tag}`);
	}
	finish(bc);
	return message;
}

/** Writes a client-to-server message (Tenon's client). */
export function writeToServer(message: BareToServer): Uint8Array {
	return build(BARE_VERSION, (bc) => {
		switch (message.tag) {
			case "ActionRequest":
				bare.writeU8(bc, 0);
				bare.writeUint(bc, message.id);
				bare.writeString(bc, message.name);
				writeBytes(bc, message.args);
				return;
			case "SubscriptionRequest":
				bare.writeU8(bc, 1);
				bare.writeString(bc, message.eventName);
				bare.writeBool(bc, message.subscribe);
				return;
		}
	});
}

/** A server message with its values already CBOR-encoded. */
export type BareToClient =
	| { tag: "Init"; actorId: string; connectionId: string }
	| {
			tag: "Error";
			group: string;
			code: string;
			message: string;
			metadata: Uint8Array | undefined;
			actionId: bigint | undefined;
	  }
	| { tag: "ActionResponse"; id: bigint; output: Uint8Array }
	| { tag: "Event"; name: string; args: Uint8Array };

/** Writes a server-to-client message in the newest version. */
export function writeToClient(message: BareToClient): Uint8Array {
	const hint =
		message.tag === "ActionResponse"
			? message.output.byteLength
			: message.tag === "Event"
				? message.args.byteLength
				: message.tag === "Error"
					? (message.metadata?.byteLength ?? 0)
					: 0;
	return build(
		BARE_VERSION,
		(bc) => {
			switch (message.tag) {
				case "Init":
					bare.writeU8(bc, 0);
					bare.writeString(bc, message.actorId);
					bare.writeString(bc, message.connectionId);
					return;
				case "Error":
					bare.writeU8(bc, 1);
					bare.writeString(bc, message.group);
					bare.writeString(bc, message.code);
					bare.writeString(bc, message.message);
					writeOptional(bc, message.metadata, writeBytes);
					writeOptional(bc, message.actionId, bare.writeUint);
					writeOptional(bc, undefined, () => {}); // actor: none
					return;
				case "ActionResponse":
					bare.writeU8(bc, 2);
					bare.writeUint(bc, message.id);
					writeBytes(bc, message.output);
					return;
				case "Event":
					bare.writeU8(bc, 3);
					bare.writeString(bc, message.name);
					writeBytes(bc, message.args);
					return;
			}
		},
		hint,
	);
}

function skipActorSpecifier(bc: bare.ByteCursor): void {
	bare.readString(bc);
	bare.readUint(bc);
	readOptional(bc, bare.readString);
}

/** Reads a server-to-client message of any supported version (Tenon's client). */
export function readToClient(bytes: Uint8Array): BareToClient {
	const { version, bc } = open(bytes);
	const tag = bare.readU8(bc);
	let message: BareToClient;
	switch (tag) {
		case 0: {
			const actorId = bare.readString(bc);
			const connectionId = bare.readString(bc);
			if (version === 1) bare.readString(bc); // connectionToken, gone since v2
			message = { tag: "Init", actorId, connectionId };
			break;
		}
		case 1: {
			message = {
				tag: "Error",
				group: bare.readString(bc),
				code: bare.readString(bc),
				message: bare.readString(bc),
				metadata: readOptional(bc, readBytes),
				actionId: readOptional(bc, bare.readUint),
			};
			if (version >= 4) readOptional(bc, skipActorSpecifier);
			break;
		}
		case 2:
			message = { tag: "ActionResponse", id: bare.readUint(bc), output: readBytes(bc) };
			break;
		case 3:
			message = { tag: "Event", name: bare.readString(bc), args: readBytes(bc) };
			break;
		default:
			throw new Error(`unknown message tag ${tag}`);
	}
	finish(bc);
	return message;
}

// ---- HTTP bodies -------------------------------------------------------------------

/** `POST /action/{name}` body: the arguments, CBOR. */
export function readHttpActionRequest(bytes: Uint8Array): { args: Uint8Array } {
	const { bc } = open(bytes);
	const args = readBytes(bc);
	finish(bc);
	return { args };
}

export function writeHttpActionRequest(args: Uint8Array): Uint8Array {
	return build(BARE_VERSION, (bc) => writeBytes(bc, args), args.byteLength);
}

export function readHttpActionResponse(bytes: Uint8Array): { output: Uint8Array } {
	const { bc } = open(bytes);
	const output = readBytes(bc);
	finish(bc);
	return { output };
}

export function writeHttpActionResponse(output: Uint8Array): Uint8Array {
	return build(BARE_VERSION, (bc) => writeBytes(bc, output), output.byteLength);
}

/** `POST /queue/{name}` body (protocol v3 and later). */
export interface BareQueueSend {
	body: Uint8Array;
	name: string | undefined;
	wait: boolean | undefined;
	timeout: bigint | undefined;
}

export function readHttpQueueSendRequest(bytes: Uint8Array): BareQueueSend {
	const { version, bc } = open(bytes);
	// Its own range: "versions 1 to 4, not 2" contradicted itself (an attacker probe, 2026-11-27).
	if (version < QUEUE_SEND_MIN_VERSION)
		throw versionErrors.unsupported(
			version,
			QUEUE_SEND_MIN_VERSION,
			"queue sends in client protocol",
		);
	const message: BareQueueSend = {
		body: readBytes(bc),
		name: readOptional(bc, bare.readString),
		wait: readOptional(bc, bare.readBool),
		timeout: readOptional(bc, bare.readU64),
	};
	finish(bc);
	return message;
}

export function writeHttpQueueSendRequest(message: BareQueueSend): Uint8Array {
	return build(BARE_VERSION, (bc) => {
		writeBytes(bc, message.body);
		writeOptional(bc, message.name, bare.writeString);
		writeOptional(bc, message.wait, bare.writeBool);
		writeOptional(bc, message.timeout, bare.writeU64);
	});
}

export function readHttpQueueSendResponse(bytes: Uint8Array): {
	status: string;
	response: Uint8Array | undefined;
} {
	const { bc } = open(bytes);
	const message = { status: bare.readString(bc), response: readOptional(bc, readBytes) };
	finish(bc);
	return message;
}

export function writeHttpQueueSendResponse(
	status: string,
	response: Uint8Array | undefined,
): Uint8Array {
	return build(BARE_VERSION, (bc) => {
		bare.writeString(bc, status);
		writeOptional(bc, response, writeBytes);
	});
}

/** An HTTP error body. */
export interface BareHttpError {
	group: string;
	code: string;
	message: string;
	metadata: Uint8Array | undefined;
}

export function writeHttpResponseError(error: BareHttpError): Uint8Array {
	return build(BARE_VERSION, (bc) => {
		bare.writeString(bc, error.group);
		bare.writeString(bc, error.code);
		bare.writeString(bc, error.message);
		writeOptional(bc, error.metadata, writeBytes);
		writeOptional(bc, undefined, () => {}); // actor: none
	});
}

export function readHttpResponseError(bytes: Uint8Array): BareHttpError {
	const { version, bc } = open(bytes);
	const error: BareHttpError = {
		group: bare.readString(bc),
		code: bare.readString(bc),
		message: bare.readString(bc),
		metadata: readOptional(bc, readBytes),
	};
	if (version >= 4) readOptional(bc, skipActorSpecifier);
	finish(bc);
	return error;
}

/** True for the error a message of an unsupported version gets (so callers pass it on as is). */
export function isVersionError(error: unknown): error is ActorError {
	return error instanceof ActorError && error.code === "unsupported_version";
}
