import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { ActorError } from "../protocol/errors.js";

// Yjs sync messages larger than one connection message. A connection frame
// from a client holds at most `maxIncomingMessageBytes` (64 KiB by default)
// and one to it at most `maxOutgoingMessageBytes` (1 MiB), while a paste or a
// whole document (step 2) can be megabytes. y-protocols has no framing of its
// own for that (y-websocket sends any size as one frame), so Tenon's provider
// and actor move such a message in parts:
// - up: the provider sends it as `yjsSyncPart(offset, total, bytes)` calls, in
//   order; the last one is handled as the whole message would have been;
// - down: the actor keeps it in the connection's outbox and sends a notice
//   (a message of type PART_NOTICE, unknown to y-protocols) instead; the
//   provider fetches it with `yjsSyncFetch(id, offset)`.

/** Parts a provider sends: under the 64 KiB frame limit even as base64 in JSON. */
export const UPLOAD_PART_BYTES = 32 * 1024;
/** Parts the actor sends: under the 1 MiB message limit even as base64 in JSON. */
export const DOWNLOAD_PART_BYTES = 512 * 1024;
/** Message type of a notice: outside y-protocols' (0 to 2). */
export const PART_NOTICE = 100;

/** A notice that message `id` of `total` bytes waits in the outbox. */
export function encodePartNotice(id: number, total: number): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, PART_NOTICE);
	encoding.writeVarUint(encoder, id);
	encoding.writeVarUint(encoder, total);
	return encoding.toUint8Array(encoder);
}

/** The notice in `message`, or undefined for any other message. */
export function readPartNotice(message: Uint8Array): { id: number; total: number } | undefined {
	if (message[0] !== PART_NOTICE) return undefined;
	const decoder = decoding.createDecoder(message);
	decoding.readVarUint(decoder);
	return { id: decoding.readVarUint(decoder), total: decoding.readVarUint(decoder) };
}

function invalid(reason: string): ActorError {
	return new ActorError("request", "invalid_yjs_message", `Invalid Yjs message: ${reason}`);
}

/** Limits of {@link Uploads} and {@link Outbox}. */
export interface PartLimits {
	/** The largest message sent or received in parts, bytes. */
	maxMessageBytes: number;
	/** Bytes all of an actor's connections may have in unfinished uploads. */
	maxUploadingBytes: number;
	/** Bytes an actor's outbox may hold (each message counted once, however many wait for it). */
	maxOutboxBytes: number;
}

interface Upload {
	total: number;
	/** The parts so far, by offset. */
	parts: Map<number, Uint8Array>;
	received: number;
}

/**
 * Messages coming up in parts, per connection (one at a time each). The parts
 * are kept as they came: memory grows with what a client actually sent, and
 * the actor's limit is on the sum over its connections. A provider sends
 * several parts at once, and actions on a connection may start in another
 * order than they were sent, so parts are placed by their offset.
 */
export class Uploads {
	readonly #open = new Map<string, Upload>();
	#bytes = 0;
	readonly #limits: PartLimits;

	constructor(limits: PartLimits) {
		this.#limits = limits;
	}

	/**
	 * Adds a part from connection `connId`; returns the whole message once its
	 * last part came. A part out of order ends that connection's upload.
	 */
	add(connId: string, offset: unknown, total: unknown, bytes: unknown): Uint8Array | undefined {
		if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0)
			throw invalid("a part takes bytes");
		if (!Number.isSafeInteger(total) || (total as number) <= 0)
			throw invalid("a part's total must be a positive integer");
		if ((total as number) > this.#limits.maxMessageBytes)
			throw new ActorError(
				"message",
				"incoming_too_long",
				`A Yjs message of ${total} bytes exceeds the limit of ${this.#limits.maxMessageBytes}`,
				{ limit: this.#limits.maxMessageBytes },
			);
		if (!Number.isSafeInteger(offset) || (offset as number) < 0)
			throw invalid("a part's offset must be an integer of at least 0");
		const at = offset as number;
		if (at + bytes.byteLength > (total as number)) {
			this.drop(connId);
			throw invalid("a part past its message's total");
		}
		let upload = this.#open.get(connId);
		// Another total, or a part already here: a new message (the last one was abandoned).
		if (upload === undefined || upload.total !== total || upload.parts.has(at)) {
			this.drop(connId);
			upload = { total: total as number, parts: new Map(), received: 0 };
			this.#open.set(connId, upload);
		}
		if (this.#bytes + bytes.byteLength > this.#limits.maxUploadingBytes) {
			this.drop(connId);
			throw new ActorError(
				"limit",
				"yjs_uploads_full",
				"Too many large Yjs messages are being sent to this document at once; try again",
			);
		}
		upload.parts.set(at, bytes.slice());
		upload.received += bytes.byteLength;
		this.#bytes += bytes.byteLength;
		if (upload.received < upload.total) return undefined;
		this.drop(connId);
		// As many bytes as the total: they make the message only if they follow each other.
		const whole = new Uint8Array(upload.total);
		let filled = 0;
		for (const [start, part] of [...upload.parts].sort(([a], [b]) => a - b)) {
			if (start !== filled) throw invalid("parts that overlap or leave a gap");
			whole.set(part, start);
			filled += part.byteLength;
		}
		return whole;
	}

	/** Forgets the connection's unfinished upload (it went, or broke the order). */
	drop(connId: string): void {
		const upload = this.#open.get(connId);
		if (upload === undefined) return;
		this.#open.delete(connId);
		this.#bytes -= upload.received;
	}
}

interface Waiting {
	connId: string;
	id: number;
	message: Uint8Array;
}

/**
 * Messages too large for one connection message, waiting for their
 * connection to fetch them. The same bytes (an update passed on to every
 * connection) count once. Over the limit the oldest go: a fetch of one that
 * went fails with `yjs_part_gone`, and the provider syncs again.
 */
export class Outbox {
	#waiting: Waiting[] = [];
	readonly #held = new Map<Uint8Array, number>();
	#bytes = 0;
	#nextId = 1;
	readonly #limits: PartLimits;

	constructor(limits: PartLimits) {
		this.#limits = limits;
	}

	/** Keeps `message` for connection `connId`; returns the notice to send instead. */
	put(connId: string, message: Uint8Array): Uint8Array {
		if (message.byteLength > this.#limits.maxMessageBytes)
			throw new ActorError(
				"message",
				"outgoing_too_long",
				`A Yjs message of ${message.byteLength} bytes exceeds the limit of ${this.#limits.maxMessageBytes}`,
				{ limit: this.#limits.maxMessageBytes },
			);
		const id = this.#nextId++;
		this.#waiting.push({ connId, id, message });
		this.#hold(message, 1);
		while (this.#bytes > this.#limits.maxOutboxBytes && this.#waiting.length > 1) this.#remove(0);
		return encodePartNotice(id, message.byteLength);
	}

	/** The part of message `id` at `offset` (for connection `connId` only); the last part frees it. */
	fetch(connId: string, id: unknown, offset: unknown): Uint8Array {
		const at = this.#waiting.findIndex((entry) => entry.id === id && entry.connId === connId);
		const entry = this.#waiting[at];
		if (entry === undefined)
			throw new ActorError(
				"request",
				"yjs_part_gone",
				"That Yjs message is no longer kept; sync again",
			);
		const { message } = entry;
		if (
			!Number.isSafeInteger(offset) ||
			(offset as number) < 0 ||
			(offset as number) >= message.byteLength
		)
			throw invalid("a fetch offset outside the message");
		const end = Math.min(message.byteLength, (offset as number) + DOWNLOAD_PART_BYTES);
		const part = message.subarray(offset as number, end);
		if (end === message.byteLength) this.#remove(at);
		return part;
	}

	/** Forgets what waits for a connection that went. */
	drop(connId: string): void {
		for (let at = this.#waiting.length - 1; at >= 0; at--)
			if (this.#waiting[at]?.connId === connId) this.#remove(at);
	}

	#remove(at: number): void {
		const [entry] = this.#waiting.splice(at, 1);
		if (entry !== undefined) this.#hold(entry.message, -1);
	}

	#hold(message: Uint8Array, change: number): void {
		const count = (this.#held.get(message) ?? 0) + change;
		if (count > 0) {
			if (change > 0 && count === 1) this.#bytes += message.byteLength;
			this.#held.set(message, count);
		} else {
			this.#held.delete(message);
			this.#bytes -= message.byteLength;
		}
	}
}
