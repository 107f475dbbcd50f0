import { Buffer } from "node:buffer";
import type { WebSocket } from "ws";

/**
 * Frames up to this size are written as one buffer (header and payload
 * together, one `write` per socket); larger ones as a header and the payload
 * itself, as `ws` does, so a large payload is not copied.
 */
const MERGE_LIMIT = 16 * 1024;

/**
 * A server-to-client WebSocket message framed once (RFC 6455 section 5.2: final,
 * unmasked, uncompressed; text for a string, binary otherwise), ready to be
 * written as is to any number of sockets.
 */
export function frameMessage(data: string | Uint8Array): Buffer[] {
	const text = typeof data === "string";
	const length = text ? Buffer.byteLength(data) : data.byteLength;
	const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
	const merged = length <= MERGE_LIMIT;
	const head = Buffer.allocUnsafe(merged ? headerLength + length : headerLength);
	head[0] = 0x80 | (text ? 0x1 : 0x2);
	if (length < 126) head[1] = length;
	else if (length < 65_536) {
		head[1] = 126;
		head.writeUInt16BE(length, 2);
	} else {
		head[1] = 127;
		head.writeUInt32BE(0, 2);
		head.writeUInt32BE(length, 6);
	}
	if (merged) {
		// Copied straight in: no Buffer view of the payload for a small frame.
		if (text) head.write(data, headerLength, "utf8");
		else head.set(data, headerLength);
		return [head];
	}
	return [
		head,
		text ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
	];
}

/**
 * The part of `ws`'s `Sender` (ws >= 8.18) the pre-framed path writes
 * through: `sendFrame` is the last step of every `WebSocket#send`, the one
 * that hands the frame to the socket, and the queue it checks first.
 */
interface WsSender {
	/** 0 (DEFAULT) while nothing waits: a frame may be written at once. */
	_state: unknown;
	_queue: unknown[];
	sendFrame(list: Buffer[], cb?: (error?: Error) => void): void;
}

/**
 * The sender of `ws` when it can take pre-framed messages, else undefined
 * (then every message goes through `WebSocket#send`). It can when no
 * extension was negotiated (no permessage-deflate: a frame's bytes do not
 * depend on the socket) and this version of `ws` has the fields checked.
 */
export function preframedSender(ws: WebSocket): WsSender | undefined {
	const internals = ws as unknown as { _sender?: Partial<WsSender>; extensions: string };
	const sender = internals._sender;
	if (ws.extensions !== "" || sender === undefined) return undefined;
	if (typeof sender.sendFrame !== "function" || !Array.isArray(sender._queue)) return undefined;
	if (sender._state !== 0) return undefined;
	return sender as WsSender;
}

/**
 * True when `sender` may write a frame now: nothing is queued ahead of it
 * (`ws` queues frames only while it compresses or reads a Blob, which Tenon
 * never sends, but a frame must never overtake a queued one).
 */
export function canWriteNow(sender: WsSender): boolean {
	return sender._state === 0 && sender._queue.length === 0;
}

/**
 * The last message framed, by identity: a broadcast hands the same frame
 * object to every socket, so it is framed once for all of them. Only frames
 * that never change after they are sent come here (see `sendShared`).
 */
let lastData: string | Uint8Array | undefined;
let lastFrame: Buffer[] = [];

/** The framed form of `data`, reused while the same frame is sent to socket after socket. */
export function sharedFrame(data: string | Uint8Array): Buffer[] {
	if (data !== lastData) {
		lastFrame = frameMessage(data);
		lastData = data;
	}
	return lastFrame;
}
