// Storage layout of an actor's queues (area 0x04): the metadata record, one
// entry per stored message and one per dead letter, each keyed by the
// message's sequence number. Shared by the queue manager and the inspector.

import { cborDecode, cborEncode } from "../protocol/encoding.js";
import { AREA } from "../storage/actor-keys.js";
import { copyBytes } from "../storage/bytes.js";
import type { ActorStore, KeyRange } from "../storage/interfaces.js";

/**
 * The hold of an action (one per action that uses `c.queue`) or of one run
 * of the `run` handler on the messages it receives: `ended` once its code
 * failed, when what it holds was released and what it still waits for ends.
 */
export interface ActionHolder {
	ended: boolean;
	/** One run of the `run` handler (what it held is held back when released). */
	run?: true;
	/** One run of the actor's run provider (a workflow): its claims are stored (StoredMessage.claimed). */
	provider?: true;
}

/** The holder of one run of the actor's run provider (see QueueLeases.reclaim). */
export function providerHolder(): ActionHolder {
	return { ended: false, provider: true };
}

/** The holder is a run of the actor's run provider. */
export function isProvider(holder: QueueHolder | undefined): holder is ActionHolder {
	return typeof holder === "object" && holder.provider === true;
}

/**
 * Who holds a message's lease: an action or one run of the `run` handler
 * (released if it fails, see QueueLeases.releaseHolder), one run of the
 * actor's run provider (a workflow: its claim is stored with the message and
 * outlives the run and a restart, see QueueLeases.reclaim), or other code
 * (hooks: until completed or the actor stops).
 */
export type QueueHolder = "other" | ActionHolder;

/** The queue metadata record (next sequence number; `dirty`: see StoredQueue). */
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
 * A stored message as the queue manager holds it: its record as stored (a
 * copy of the bytes), its body decoded only when it is handed out. An actor
 * holds up to `maxQueueSize` messages from its wake to its sleep, and a 64 KiB
 * message of 65,000 empty objects took about 4 MB of heap decoded (a probe
 * ran a server out of memory with one actor's full queue, 2026-11-25).
 */
export class StoredMessage {
	/** Received with `completable: true` and not completed yet. */
	leased = false;
	/** Who holds the lease: the `run` loop or an action's view (released if it fails), or other code. */
	holder: QueueHolder | undefined = undefined;
	/** A `complete()` is checking its response against the queue's schema. */
	completing = false;
	/** Settles when that check ends (while `completing`). */
	checked: Promise<void> | undefined = undefined;
	/** Its holder failed while it was being completed: released if that completion fails. */
	releaseAfterCompleting = false;
	/**
	 * A later run of the run provider, which holds it if the completion an
	 * earlier run has in flight fails (see QueueLeases.reclaim; not stored).
	 */
	successor: ActionHolder | undefined = undefined;
	/** Taken by a careful hand-out still waiting for its commit (see QueueManager.#handOver). */
	handingOut = false;
	/**
	 * Received completable by the actor's run provider (persisted): after a
	 * restart it stays the provider's until the provider takes it over or
	 * says it does not (QueueLeases.restored).
	 */
	claimed: boolean;
	/** Not handed out before this time (ms; 0: now): held back after it failed a `run` (not stored). */
	notBefore = 0;
	/**
	 * Held with others by a `run` that failed, so maybe not what failed it: handed out alone
	 * from then on (not stored). A bad message's failures counted against the good ones batched
	 * with it, which became dead letters with it (an attacker probe, 2026-11-29).
	 */
	alone = false;
	/** Times it was handed out with its count made durable first (persisted). */
	deliveries: number;
	/** The record as stored ({@link encodeMessage}), and the count it holds. */
	#record: Uint8Array;
	#recordDeliveries: number;
	#recordClaimed: boolean;

	private constructor(
		readonly seq: number,
		readonly name: string,
		readonly createdAt: number,
		deliveries: number,
		claimed: boolean,
		record: Uint8Array,
	) {
		this.deliveries = deliveries;
		this.claimed = claimed;
		this.#record = record;
		this.#recordDeliveries = deliveries;
		this.#recordClaimed = claimed;
	}

	/** A new message (its record encoded now). */
	static create(seq: number, name: string, body: unknown, createdAt: number): StoredMessage {
		return new StoredMessage(
			seq,
			name,
			createdAt,
			0,
			false,
			recordOf(name, body, createdAt, 0, false),
		);
	}

	/** A stored message from its record (available after a load, unless its provider claimed it). */
	static fromRecord(key: Uint8Array, value: Uint8Array): StoredMessage {
		const record = cborDecode(value) as { n: string; t: number; d?: number; p?: 1 };
		// A copy: a view would keep the buffer it came from alive (a driver's, or a decoder's).
		return new StoredMessage(
			seqOfKey(key),
			record.n,
			record.t,
			record.d ?? 0,
			record.p === 1,
			copyBytes(value),
		);
	}

	/** The body, decoded (a new copy each time). */
	get body(): unknown {
		return (cborDecode(this.#record) as { b: unknown }).b;
	}

	/** The record to store (encoded again when its delivery count or claim changed). */
	get record(): Uint8Array {
		if (this.deliveries !== this.#recordDeliveries || this.claimed !== this.#recordClaimed) {
			this.#record = recordOf(this.name, this.body, this.createdAt, this.deliveries, this.claimed);
			this.#recordDeliveries = this.deliveries;
			this.#recordClaimed = this.claimed;
		}
		return this.#record;
	}
}

/**
 * A message record: name, body, creation time and delivery count (the format
 * since 2026-11-18), and `p: 1` while the run provider claims it (2026-11-26).
 */
function recordOf(
	name: string,
	body: unknown,
	createdAt: number,
	deliveries: number,
	claimed: boolean,
): Uint8Array {
	const record: Record<string, unknown> = { n: name, b: body, t: createdAt };
	if (deliveries > 0) record.d = deliveries;
	if (claimed) record.p = 1;
	// A copy: cbor-x encodes into a buffer it reuses, and a view kept alive the whole buffer
	// (500 small messages enqueued between large replies pinned 200 MB, a review).
	return copyBytes(cborEncode(record));
}

/** A message that was delivered too often without completion, kept for inspection. */
export interface StoredDeadLetter {
	seq: number;
	name: string;
	body: unknown;
	createdAt: number;
	deliveries: number;
	deadAt: number;
	/** Why it was set aside. */
	reason: string;
}

/** Encodes a message record. */
export function encodeMessage(message: StoredMessage): Uint8Array {
	return message.record;
}

/** Decodes a message record. */
export function decodeMessage(key: Uint8Array, value: Uint8Array): StoredMessage {
	return StoredMessage.fromRecord(key, value);
}

/** Encodes a dead-letter record. */
export function encodeDeadLetter(letter: StoredDeadLetter): Uint8Array {
	return cborEncode({
		n: letter.name,
		b: letter.body,
		t: letter.createdAt,
		d: letter.deliveries,
		x: letter.deadAt,
		r: letter.reason,
	});
}

/** Decodes a dead-letter record. */
export function decodeDeadLetter(key: Uint8Array, value: Uint8Array): StoredDeadLetter {
	const record = cborDecode(value) as {
		n: string;
		b: unknown;
		t: number;
		d: number;
		x: number;
		r: string;
	};
	return {
		seq: seqOfKey(key),
		name: record.n,
		body: record.b,
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
	/** Stored messages, in sequence order (available, but for the run provider's claims). */
	messages: StoredMessage[];
	/** How many dead letters are stored. */
	deadLetters: number;
	/**
	 * Messages were handed out in an earlier life of the actor that did not
	 * end with a graceful stop (a crash): handed out carefully (QueueManager).
	 */
	dirty: boolean;
}

/** Nothing stored yet: the queues of an actor that never used them. */
export function emptyQueue(nextSeq = 1): StoredQueue {
	return { nextSeq, messages: [], deadLetters: 0, dirty: false };
}

/** Reads an actor's stored queue messages and metadata, and counts its dead letters (on wake). */
export async function loadStoredQueue(store: ActorStore, actorId: string): Promise<StoredQueue> {
	const [meta] = await store.get(actorId, [QUEUE_META_KEY]);
	// Every message is written with this record (since the first stored
	// queue), and dead letters are messages moved: without it there are none,
	// and a wake-up makes no range reads for queues it never used.
	if (meta === undefined) return emptyQueue();
	const { nextSeq, dirty } = cborDecode(meta) as { nextSeq: number; dirty?: true };
	const entries = await store.list(actorId, MESSAGE_RANGE);
	const messages = entries.map(([key, value]) => decodeMessage(key, value));
	const deadLetters = (await store.list(actorId, DEAD_LETTER_RANGE)).length;
	return { nextSeq, messages, deadLetters, dirty: dirty === true };
}
