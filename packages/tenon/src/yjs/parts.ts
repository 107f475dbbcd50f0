import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { ActorError } from "../protocol/errors.js";
import { PROCESS_UPLOAD_BUDGET, type UploadAccount, type UploadBudget } from "./upload-budget.js";

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

/** `request/invalid_yjs_message` with `reason` (also the document's). */
export function invalid(reason: string): ActorError {
	return new ActorError("request", "invalid_yjs_message", `Invalid Yjs message: ${reason}`);
}

/** Room for a step 2's message type and length around a whole document, bytes. */
const STEP2_HEADER = 16;

/** Limits of {@link Uploads} and {@link Outbox}. */
export interface PartLimits {
	/** The largest message a client sends (in parts or over HTTP), or an update passed on, bytes. */
	maxMessageBytes: number;
	/**
	 * The largest document, encoded (what a new client's step 2 carries), bytes:
	 * with a step 2's header, the largest message the outbox keeps. A
	 * `yjsActor` sets it (32 MiB, at most `maxOutboxBytes`); without it, the
	 * outbox keeps messages up to `maxMessageBytes`.
	 */
	maxDocumentBytes?: number;
	/** Bytes all of an actor's connections may have in unfinished uploads. */
	maxUploadingBytes: number;
	/** Bytes an actor's outbox may hold (each message counted once, however many wait for it). */
	maxOutboxBytes: number;
}

/** An upload that got no part for this long gives its room up to others, ms. */
export const UPLOAD_IDLE_MS = 30_000;
/**
 * An upload slower than this on average, once {@link UPLOAD_IDLE_MS} old,
 * gives its room up too (a part now and then would otherwise hold it), bytes/s.
 */
export const UPLOAD_MIN_BYTES_PER_SECOND = 16 * 1024;
/** A message nobody fetched from for this long leaves the outbox, ms. */
export const OUTBOX_TTL_MS = 60_000;
/**
 * A message nobody fetched from for this long makes room for an answer
 * another connection asked for (a provider fetches at once; one that does
 * not may be an attacker filling the outbox), ms.
 */
export const OUTBOX_STALE_MS = 10_000;
/** Messages one connection may have waiting in the outbox (its oldest goes first). */
export const OUTBOX_PER_CONNECTION = 4;
/**
 * How often one connection may ask for a large answer, ms: each costs the
 * server an encoding of (much of) the document, and a provider asks once per
 * (re)connect.
 */
export const ASK_INTERVAL_MS = 1_000;

/**
 * How often one connection may ask for the document at all (a step 1), ms:
 * a small answer also costs a walk of the whole document for its deleted
 * items. A provider asks on (re)connect and once after a refusal.
 */
export const SMALL_ASK_INTERVAL_MS = 250;

interface Upload {
	id: number;
	total: number;
	/** The parts so far, by index (offset / UPLOAD_PART_BYTES). */
	parts: (Uint8Array | undefined)[];
	received: number;
	startedAt: number;
	touchedAt: number;
}

interface ConnectionUploads {
	/** The highest upload id this connection used: older ids are stale. */
	lastId: number;
	open: Upload | undefined;
}

/**
 * Messages coming up in parts, one at a time per connection. Every part but
 * the last is exactly {@link UPLOAD_PART_BYTES} at an offset that is a
 * multiple of it, so a message has a known, small number of parts, each
 * placed by its index: a provider sends several at once and actions on a
 * connection may start in another order than they were sent. An upload is
 * named by an id that grows per connection: a part of an earlier one (still
 * in flight after a refusal) is refused, and never starts a new one.
 */
export class Uploads {
	readonly #connections = new Map<string, ConnectionUploads>();
	#bytes = 0;
	readonly #limits: PartLimits;
	readonly #now: () => number;
	/** The process's budget over every document (upload-budget.ts), and this one's share. */
	readonly #budget: UploadBudget;
	readonly #account: UploadAccount;

	constructor(
		limits: PartLimits,
		now: () => number = Date.now,
		budget: UploadBudget = PROCESS_UPLOAD_BUDGET,
	) {
		this.#limits = limits;
		this.#now = now;
		this.#budget = budget;
		this.#account = budget.open(this);
	}

	/** Too many bytes half-sent to this document, or to every document of the process. */
	#full(bytes: number): boolean {
		return this.#bytes + bytes > this.#limits.maxUploadingBytes || !this.#budget.fits(bytes);
	}

	/**
	 * Adds a part of upload `id` from connection `connId`; returns the whole
	 * message once its last part came, `undefined` before.
	 */
	add(
		connId: string,
		id: unknown,
		offset: unknown,
		total: unknown,
		bytes: unknown,
	): Uint8Array | undefined {
		if (!Number.isSafeInteger(id) || (id as number) <= 0)
			throw invalid("an upload id must be a positive integer");
		if (!Number.isSafeInteger(total) || (total as number) <= 0)
			throw invalid("a part's total must be a positive integer");
		if ((total as number) > this.#limits.maxMessageBytes)
			throw new ActorError(
				"message",
				"incoming_too_long",
				`A Yjs message of ${total} bytes exceeds the limit of ${this.#limits.maxMessageBytes}`,
				{ limit: this.#limits.maxMessageBytes },
			);
		const size = total as number;
		if (!Number.isSafeInteger(offset) || (offset as number) < 0 || (offset as number) >= size)
			throw invalid("a part's offset must be within its message");
		const at = offset as number;
		const expected = Math.min(UPLOAD_PART_BYTES, size - at);
		if (
			at % UPLOAD_PART_BYTES !== 0 ||
			!(bytes instanceof Uint8Array) ||
			bytes.byteLength !== expected
		)
			throw invalid(
				`parts are ${UPLOAD_PART_BYTES} bytes at multiples of that (the last one less)`,
			);
		let connection = this.#connections.get(connId);
		if (connection === undefined) {
			connection = { lastId: 0, open: undefined };
			this.#connections.set(connId, connection);
		}
		let upload = connection.open;
		if (upload === undefined || upload.id !== id) {
			if ((id as number) <= connection.lastId) throw invalid("a part of an earlier upload");
			this.#close(connection);
			const now = this.#now();
			upload = {
				id: id as number,
				total: size,
				parts: [],
				received: 0,
				startedAt: now,
				touchedAt: now,
			};
			connection.open = upload;
			connection.lastId = id as number;
		}
		const index = at / UPLOAD_PART_BYTES;
		if (upload.total !== size || upload.parts[index] !== undefined) {
			this.#close(connection);
			throw invalid("a part repeated, or of another total than its upload's");
		}
		if (this.#full(expected)) this.#dropIdle();
		if (this.#full(expected)) {
			this.#close(connection);
			throw new ActorError(
				"limit",
				"yjs_uploads_full",
				"Too many large Yjs messages are being sent at once; try again",
			);
		}
		upload.parts[index] = bytes.slice();
		upload.received += expected;
		upload.touchedAt = this.#now();
		this.#bytes += expected;
		this.#budget.take(this.#account, expected);
		if (upload.received < upload.total) return undefined;
		this.#close(connection);
		const whole = new Uint8Array(upload.total);
		for (const [index, part] of upload.parts.entries())
			whole.set(part as Uint8Array, index * UPLOAD_PART_BYTES);
		return whole;
	}

	/** Forgets everything of a connection that went. */
	drop(connId: string): void {
		const connection = this.#connections.get(connId);
		if (connection === undefined) return;
		this.#close(connection);
		this.#connections.delete(connId);
	}

	/** Forgets every upload (the document sleeps or is destroyed): its bytes go back to the budget. */
	dropAll(): void {
		for (const connection of this.#connections.values()) this.#close(connection);
		this.#connections.clear();
	}

	/** Ends the connection's open upload (done, refused or abandoned); its id stays used. */
	#close(connection: ConnectionUploads): void {
		if (connection.open === undefined) return;
		this.#bytes -= connection.open.received;
		this.#budget.release(this.#account, connection.open.received);
		connection.open = undefined;
	}

	/** Ends uploads that went idle, or that trickle (see {@link UPLOAD_MIN_BYTES_PER_SECOND}). */
	#dropIdle(): void {
		const now = this.#now();
		for (const connection of this.#connections.values()) {
			const upload = connection.open;
			if (upload === undefined) continue;
			const age = now - upload.startedAt;
			const slow =
				age > UPLOAD_IDLE_MS && (upload.received * 1000) / age < UPLOAD_MIN_BYTES_PER_SECOND;
			if (now - upload.touchedAt > UPLOAD_IDLE_MS || slow) this.#close(connection);
		}
	}
}

interface Waiting {
	connId: string;
	message: Uint8Array;
	/** When it was put, or last fetched from further on. */
	keptAt: number;
	/** Where the next fetch starts: parts are fetched in order, once each. */
	next: number;
	/** An answer the connection asked for (not an update passed on to it). */
	asked: boolean;
}

/**
 * Messages too large for one connection message, waiting for their
 * connection to fetch them, each for that connection only. The same bytes
 * (an update passed on to every connection, or one document state asked for
 * by many new clients) count once. Limits: {@link OUTBOX_PER_CONNECTION} per
 * connection (its own oldest goes), {@link OUTBOX_TTL_MS}, and
 * `maxOutboxBytes` in all: an answer a connection asked for makes room by
 * dropping messages idle for {@link OUTBOX_STALE_MS}, and is refused
 * (`limit/yjs_outbox_full`) when that is not enough, while an update passed
 * on makes room by dropping the least recently fetched messages. A fetch of a message that went fails with
 * `yjs_part_gone`, and the provider syncs again.
 */
export class Outbox {
	/** By id, least recently put or fetched from first. */
	readonly #waiting = new Map<number, Waiting>();
	readonly #byConnection = new Map<string, number[]>();
	readonly #held = new Map<Uint8Array, number>();
	/** When each connection last got a large answer it asked for. */
	readonly #askedAt = new Map<string, number>();
	/** When each connection last asked for the document at all. */
	readonly #smallAskedAt = new Map<string, number>();
	#bytes = 0;
	#nextId = 1;
	readonly #limits: PartLimits;
	readonly #now: () => number;

	constructor(limits: PartLimits, now: () => number = Date.now) {
		this.#limits = limits;
		this.#now = now;
	}

	/**
	 * Keeps `message` for connection `connId`; returns the notice to send
	 * instead. `passedOn`: an update others made (makes room), not an answer
	 * the connection asked for (refused when there is none).
	 */
	put(connId: string, message: Uint8Array, passedOn: boolean): Uint8Array {
		// An answer carries the document (up to its limit); an update passed on, a client's message.
		const limit = passedOn
			? this.#limits.maxMessageBytes
			: Math.max(this.#limits.maxMessageBytes, (this.#limits.maxDocumentBytes ?? 0) + STEP2_HEADER);
		if (message.byteLength > limit)
			throw new ActorError(
				"message",
				"outgoing_too_long",
				`A Yjs message of ${message.byteLength} bytes exceeds the limit of ${limit}`,
				{ limit },
			);
		this.#expire();
		// One answer asked for per connection: a new one replaces the last (a
		// reader asking again and again held the outbox, an attacker probe).
		if (!passedOn)
			for (const id of [...(this.#byConnection.get(connId) ?? [])])
				if (this.#waiting.get(id)?.asked) this.#remove(id);
		const mine = this.#byConnection.get(connId) ?? [];
		while (mine.length >= OUTBOX_PER_CONNECTION) this.#remove(mine[0] as number);
		const extra = this.#held.has(message) ? 0 : message.byteLength;
		if (this.#bytes + extra > this.#limits.maxOutboxBytes) {
			const staleBefore = this.#now() - OUTBOX_STALE_MS;
			for (const [id, entry] of this.#waiting) {
				if (this.#bytes + extra <= this.#limits.maxOutboxBytes) break;
				if (!passedOn && entry.keptAt >= staleBefore) break;
				this.#remove(id);
			}
			if (this.#bytes + extra > this.#limits.maxOutboxBytes)
				throw new ActorError(
					"limit",
					"yjs_outbox_full",
					"Too many large Yjs messages wait to be fetched from this document; try again",
				);
		}
		const id = this.#nextId++;
		if (!passedOn) this.#askedAt.set(connId, this.#now());
		this.#waiting.set(id, { connId, message, keptAt: this.#now(), next: 0, asked: !passedOn });
		const list = this.#byConnection.get(connId);
		if (list === undefined) this.#byConnection.set(connId, [id]);
		else list.push(id);
		this.#hold(message, 1);
		return encodePartNotice(id, message.byteLength);
	}

	/** The part of message `id` at `offset` (for connection `connId` only); the last part frees it. */
	fetch(connId: string, id: unknown, offset: unknown): Uint8Array {
		const entry = typeof id === "number" ? this.#waiting.get(id) : undefined;
		if (entry === undefined || entry.connId !== connId)
			throw new ActorError(
				"request",
				"yjs_part_gone",
				"That Yjs message is no longer kept; sync again",
			);
		const { message } = entry;
		// In order, once each: fetching one part again and again would keep a
		// message fresh forever without ever taking it.
		if (offset !== entry.next) throw invalid("a fetch out of order (parts come once, in order)");
		const end = Math.min(message.byteLength, (offset as number) + DOWNLOAD_PART_BYTES);
		const part = message.subarray(offset as number, end);
		entry.next = end;
		if (end === message.byteLength) this.#remove(id as number);
		else {
			// Being fetched: it moves to the end of the order (the most recent).
			entry.keptAt = this.#now();
			this.#waiting.delete(id as number);
			this.#waiting.set(id as number, entry);
		}
		return part;
	}

	/**
	 * Refuses a connection that asked for the document (a step 1) less than
	 * {@link ASK_INTERVAL_MS} ago (`limit/yjs_too_many_syncs`; the provider
	 * syncs again after the wait it is told). Checked before the answer is
	 * made: each costs an encoding of what the client lacks, whose deleted
	 * items are a walk of the whole document (an attacker probe, 2026-11-25:
	 * a reader alternating two state vectors, each answer small, kept 96% of
	 * the loop busy on a document of a million items).
	 */
	checkAsk(connId: string): void {
		const now = this.#now();
		const large = this.#askedAt.get(connId);
		const any = this.#smallAskedAt.get(connId);
		const until = Math.max(
			large === undefined ? 0 : large + ASK_INTERVAL_MS,
			any === undefined ? 0 : any + SMALL_ASK_INTERVAL_MS,
		);
		if (until > now)
			throw new ActorError(
				"limit",
				"yjs_too_many_syncs",
				"This connection asked for the document again too soon; try again in a moment",
				{ retryAfterMs: until - now },
			);
	}

	/** A connection asked for the document (see {@link checkAsk}). */
	noteAsk(connId: string): void {
		this.#smallAskedAt.set(connId, this.#now());
	}

	/** Forgets what waits for a connection that went. */
	drop(connId: string): void {
		for (const id of [...(this.#byConnection.get(connId) ?? [])]) this.#remove(id);
		this.#askedAt.delete(connId);
		this.#smallAskedAt.delete(connId);
	}

	/** Drops what waited too long: the oldest first, so this stops at the first that did not. */
	#expire(): void {
		const before = this.#now() - OUTBOX_TTL_MS;
		for (const [id, entry] of this.#waiting) {
			if (entry.keptAt >= before) return;
			this.#remove(id);
		}
	}

	#remove(id: number): void {
		const entry = this.#waiting.get(id);
		if (entry === undefined) return;
		this.#waiting.delete(id);
		const list = this.#byConnection.get(entry.connId);
		if (list !== undefined) {
			const at = list.indexOf(id);
			if (at >= 0) list.splice(at, 1);
			if (list.length === 0) this.#byConnection.delete(entry.connId);
		}
		this.#hold(entry.message, -1);
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
