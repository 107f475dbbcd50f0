// Storage layout of an actor's queues (area 0x04): the metadata record, one
// entry per stored message and one per dead letter, each keyed by the
// message's sequence number. Shared by the queue manager and the inspector.

import { cborDecode, cborEncode } from "../protocol/encoding.js";
import { AREA } from "../storage/actor-keys.js";
import type { ActorStore, KeyRange } from "../storage/interfaces.js";

/** The queue metadata record (next sequence number). */
export const QUEUE_META_KEY = Uint8Array.of(AREA.QUEUE, 0x00);

const MESSAGE_TAG = 0x01;
const DEAD_LETTER_TAG = 0x03;

function rangeOf(tag: number): KeyRange {
	return { start: Uint8Array.of(AREA.QUEUE, tag), end: Uint8Array.of(AREA.QUEUE, tag + 1) };
}

/** All stored messages, in sequence order. */
export const MESSAGE_RANGE = rangeOf(MESSAGE_TAG);
/** All dead letters, in sequence order. */
export const DEAD_LETTER_RANGE = rangeOf(DEAD_LETTER_TAG);

function keyOf(tag: number, seq: number): Uint8Array {
	const key = new Uint8Array(10);
	key[0] = AREA.QUEUE;
	key[1] = tag;
	new DataView(key.buffer).setBigUint64(2, BigInt(seq));
	return key;
}

/** The storage key of message `seq`. */
export function messageKey(seq: number): Uint8Array {
	return keyOf(MESSAGE_TAG, seq);
}

/** The storage key of dead letter `seq`. */
export function deadLetterKey(seq: number): Uint8Array {
	return keyOf(DEAD_LETTER_TAG, seq);
}

/** The sequence number in a message or dead-letter key. */
export function seqOfKey(key: Uint8Array): number {
	return Number(new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(2));
}

/**
 * A stored message as the queue manager holds it. Its body stays encoded
 * (the bytes stored) and is decoded when it is handed out: an actor holds
 * up to `maxQueueSize` messages in memory from its wake to its sleep, and a
 * 64 KiB message of 65,000 empty objects took about 4 MB of heap decoded (a
 * probe ran a server out of memory with one actor's full queue).
 */
export class StoredMessage {
	/** Received with `completable: true` and not completed yet. */
	leased = false;
	/** Who holds the lease: the `run` loop (released if it fails) or other code. */
	holder: "run" | "other" | undefined = undefined;
	/** A `complete()` is checking its response against the queue's schema. */
	completing = false;
	/** Not handed out before this time (ms; 0: now): held back after it failed a `run` (not stored). */
	notBefore = 0;
	/** How many times it was handed out with `completable: true` (persisted). */
	deliveries: number;
	/** Its body, encoded as stored. */
	readonly bodyBytes: Uint8Array;

	constructor(
		readonly seq: number,
		readonly name: string,
		bodyBytes: Uint8Array,
		readonly createdAt: number,
		deliveries = 0,
	) {
		this.bodyBytes = bodyBytes;
		this.deliveries = deliveries;
	}

	/** The body, decoded (a new copy each time). */
	get body(): unknown {
		return cborDecode(this.bodyBytes);
	}
}

/** A message that was delivered too often without completion, kept for inspection. */
export interface StoredDeadLetter {
	seq: number;
	name: string;
	/** Its body, encoded as stored. */
	bodyBytes: Uint8Array;
	createdAt: number;
	deliveries: number;
	deadAt: number;
	/** Why it was set aside. */
	reason: string;
}

/**
 * A body as a record holds it: `e`, its encoding, as a byte string (read
 * without decoding the body), or `b`, the body itself, in records written
 * before 2026-11-25.
 */
interface BodyField {
	e?: Uint8Array;
	b?: unknown;
}

function bodyBytesOf(record: BodyField): Uint8Array {
	return record.e instanceof Uint8Array ? record.e : cborEncode(record.b);
}

/** Encodes a message record. */
export function encodeMessage(message: StoredMessage): Uint8Array {
	const record: Record<string, unknown> = {
		n: message.name,
		e: message.bodyBytes,
		t: message.createdAt,
	};
	if (message.deliveries > 0) record.d = message.deliveries;
	return cborEncode(record);
}

/** Decodes a message record (every stored message is available again after a load). */
export function decodeMessage(key: Uint8Array, value: Uint8Array): StoredMessage {
	const record = cborDecode(value) as BodyField & { n: string; t: number; d?: number };
	return new StoredMessage(seqOfKey(key), record.n, bodyBytesOf(record), record.t, record.d ?? 0);
}

/** Encodes a dead-letter record. */
export function encodeDeadLetter(letter: StoredDeadLetter): Uint8Array {
	return cborEncode({
		n: letter.name,
		e: letter.bodyBytes,
		t: letter.createdAt,
		d: letter.deliveries,
		x: letter.deadAt,
		r: letter.reason,
	});
}

/** Decodes a dead-letter record. */
export function decodeDeadLetter(key: Uint8Array, value: Uint8Array): StoredDeadLetter {
	const record = cborDecode(value) as BodyField & {
		n: string;
		t: number;
		d: number;
		x: number;
		r: string;
	};
	return {
		seq: seqOfKey(key),
		name: record.n,
		bodyBytes: bodyBytesOf(record),
		createdAt: record.t,
		deliveries: record.d,
		deadAt: record.x,
		reason: record.r,
	};
}

/** The committed queue contents of an actor (for the inspector; the actor need not be awake). */
export async function readQueueContents(
	store: ActorStore,
	actorId: string,
	limit: number,
): Promise<{ messages: StoredMessage[]; deadLetters: StoredDeadLetter[] }> {
	const [messages, deadLetters] = await Promise.all([
		store.list(actorId, MESSAGE_RANGE, { limit }),
		store.list(actorId, DEAD_LETTER_RANGE, { limit }),
	]);
	return {
		messages: messages.map(([key, value]) => decodeMessage(key, value)),
		deadLetters: deadLetters.map(([key, value]) => decodeDeadLetter(key, value)),
	};
}

/** What an actor's queues hold in storage when it wakes. */
export interface StoredQueue {
	/** The sequence number the next message gets. */
	nextSeq: number;
	/** Stored messages, in sequence order (all available: leases do not survive a restart). */
	messages: StoredMessage[];
	/** How many dead letters are stored. */
	deadLetters: number;
}

/** Nothing stored yet: the queues of an actor that never used them. */
export function emptyQueue(nextSeq = 1): StoredQueue {
	return { nextSeq, messages: [], deadLetters: 0 };
}

/** Reads an actor's stored queue messages and metadata, and counts its dead letters (on wake). */
export async function loadStoredQueue(store: ActorStore, actorId: string): Promise<StoredQueue> {
	const [meta] = await store.get(actorId, [QUEUE_META_KEY]);
	// Every message is written with this record (since the first stored
	// queue), and dead letters are messages moved: without it there are none,
	// and a wake-up makes no range reads for queues it never used.
	if (meta === undefined) return emptyQueue();
	const nextSeq = (cborDecode(meta) as { nextSeq: number }).nextSeq;
	const entries = await store.list(actorId, MESSAGE_RANGE);
	const messages = entries.map(([key, value]) => decodeMessage(key, value));
	const deadLetters = (await store.list(actorId, DEAD_LETTER_RANGE)).length;
	return { nextSeq, messages, deadLetters };
}
