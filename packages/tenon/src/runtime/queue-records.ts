// Storage layout of an actor's queues (area 0x04): the metadata record, one
// entry per stored message and one per dead letter, each keyed by the
// message's sequence number. Shared by the queue manager and the inspector.

import { cborDecode, cborEncode } from "../protocol/encoding.js";
import { AREA } from "../storage/actor-keys.js";
import type { ActorStore, Entry, KeyRange } from "../storage/interfaces.js";
import { StoredMessage } from "./queue-message.js";

export { StoredMessage } from "./queue-message.js";

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

/** Decodes a message record (kept whole: its body can be read). */
export function decodeMessage(key: Uint8Array, value: Uint8Array): StoredMessage {
	return StoredMessage.fromRecord(seqOfKey(key), value, true);
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

/** Entries read at a time at a wake: what one read holds stays small (64 records of 64 KiB: 4 MiB). */
const WAKE_PAGE = 64;

/** Calls `each` with every entry in `range`, read `WAKE_PAGE` at a time. */
async function forEachStored(
	store: ActorStore,
	actorId: string,
	range: KeyRange,
	each: (entry: Entry) => void,
): Promise<void> {
	let start = range.start;
	for (;;) {
		const page = await store.list(actorId, { start, end: range.end }, { limit: WAKE_PAGE });
		for (const entry of page) each(entry);
		if (page.length < WAKE_PAGE) return;
		const last = (page[page.length - 1] as Entry)[0];
		// The smallest key after `last`.
		start = new Uint8Array(last.byteLength + 1);
		start.set(last);
	}
}

/**
 * Reads an actor's stored queue metadata and its messages' headers, and counts its dead
 * letters (on wake). A message's record is kept only when its run provider claims it (its
 * claim may be rewritten at once); the others are read again when a receive takes them
 * (see StoredMessage).
 */
export async function loadStoredQueue(store: ActorStore, actorId: string): Promise<StoredQueue> {
	const [meta] = await store.get(actorId, [QUEUE_META_KEY]);
	// Every message is written with this record (since the first stored
	// queue), and dead letters are messages moved: without it there are none,
	// and a wake-up makes no range reads for queues it never used.
	if (meta === undefined) return emptyQueue();
	const { nextSeq, dirty } = cborDecode(meta) as { nextSeq: number; dirty?: true };
	const messages: StoredMessage[] = [];
	await forEachStored(store, actorId, MESSAGE_RANGE, ([key, value]) => {
		const message = StoredMessage.fromRecord(seqOfKey(key), value, false);
		if (message.claimed) message.attach(value);
		messages.push(message);
	});
	let deadLetters = 0;
	await forEachStored(store, actorId, DEAD_LETTER_RANGE, () => {
		deadLetters++;
	});
	return { nextSeq, messages, deadLetters, dirty: dirty === true };
}
