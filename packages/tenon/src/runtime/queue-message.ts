// One stored queue message in memory, and its record's format.
//
// A record is a header (name, creation time, delivery count, claim) and the
// body, each CBOR, so a wake reads the headers without decoding the bodies and
// a change of delivery count rewrites the header without touching the body:
//
//   0xff | header length (u32, big-endian) | header CBOR | body CBOR
//
// 0xff is CBOR's "break" code, which never starts an item, so it tells these
// records (written since 2026-11-29) from the older ones: one CBOR map
// { n, b, t, d?, p? }, still read (decoded whole) and written in the new
// format when they change.

import { cborDecode, cborEncode } from "../protocol/encoding.js";
import { copyBytes } from "../storage/bytes.js";
import type { ActionHolder, QueueHolder } from "./queue-records.js";

const FORMAT_MARK = 0xff;
const PREFIX_BYTES = 5;

/** A record's header fields (and its body, for a record in the old format). */
interface Header {
	n: string;
	t: number;
	d?: number;
	p?: 1;
}

/** The header of a record and where its body starts (`legacy`: the old format, body `b` decoded). */
function readRecord(
	value: Uint8Array,
): { header: Header; bodyStart: number } | { header: Header & { b: unknown }; legacy: true } {
	if (value[0] !== FORMAT_MARK)
		return { header: cborDecode(value) as Header & { b: unknown }, legacy: true };
	const length = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(1);
	const bodyStart = PREFIX_BYTES + length;
	if (bodyStart > value.byteLength) throw new Error("queue message record is cut short");
	return { header: cborDecode(value.subarray(PREFIX_BYTES, bodyStart)) as Header, bodyStart };
}

/** A record of `header` and the encoded body `body`, and where the body starts in it. */
function recordOf(header: Header, body: Uint8Array): { record: Uint8Array; bodyStart: number } {
	const head = cborEncode(header);
	const bodyStart = PREFIX_BYTES + head.byteLength;
	const record = new Uint8Array(bodyStart + body.byteLength);
	record[0] = FORMAT_MARK;
	new DataView(record.buffer).setUint32(1, head.byteLength);
	record.set(head, PREFIX_BYTES);
	record.set(body, bodyStart);
	return { record, bodyStart };
}

function headerOf(name: string, createdAt: number, deliveries: number, claimed: boolean): Header {
	const header: Header = { n: name, t: createdAt };
	if (deliveries > 0) header.d = deliveries;
	if (claimed) header.p = 1;
	return header;
}

/**
 * A stored message as the queue manager holds it. Its record (and so its
 * body) is in memory only when needed: a message enqueued in this life keeps
 * it, one read at a wake has only its header until a receive takes it (the
 * queue manager reads the record then, see {@link attach}), or its run
 * provider claims it. Until 2026-11-29 every wake read every record whole and
 * kept it: an actor's full queue was 64 MiB of heap (1,000 messages of
 * 64 KiB), and an attacker probe woke 4 such actors with 4 small calls, which
 * added 580 MB of resident memory. Bodies are decoded only when handed out (a
 * 64 KiB message of 65,000 empty objects takes about 4 MB decoded).
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
	/** Taken by a receive that reads its record first: nothing else takes it meanwhile. */
	loading = false;
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
	/** The record (new format), when in memory, and where its body starts. */
	#record: Uint8Array | undefined;
	#bodyStart = 0;
	/** The delivery count and claim the record holds. */
	#recordDeliveries = 0;
	#recordClaimed = false;

	private constructor(
		readonly seq: number,
		readonly name: string,
		readonly createdAt: number,
		deliveries: number,
		claimed: boolean,
	) {
		this.deliveries = deliveries;
		this.claimed = claimed;
	}

	/** A new message (its record encoded now). */
	static create(seq: number, name: string, body: unknown, createdAt: number): StoredMessage {
		const message = new StoredMessage(seq, name, createdAt, 0, false);
		// A copy: cbor-x encodes into a buffer it reuses, and a view kept alive the whole buffer
		// (500 small messages enqueued between large replies pinned 200 MB, a review).
		message.#keep(
			recordOf(headerOf(name, createdAt, 0, false), copyBytes(cborEncode(body))),
			0,
			false,
		);
		return message;
	}

	/**
	 * A stored message from its record: its header, and the record itself when `keep` (else
	 * read again with {@link attach} when needed).
	 */
	static fromRecord(seq: number, value: Uint8Array, keep: boolean): StoredMessage {
		const read = readRecord(value);
		const { n, t, d, p } = read.header;
		const message = new StoredMessage(seq, n, t, d ?? 0, p === 1);
		if (keep) message.attach(value);
		return message;
	}

	/** Its record is in memory (its body can be read, its header rewritten). */
	get attached(): boolean {
		return this.#record !== undefined;
	}

	/**
	 * Keeps `value`, its stored record (read again for a receive). Only its body is used: the
	 * header in memory is the newer (a record in the old format is converted).
	 */
	attach(value: Uint8Array): void {
		const read = readRecord(value);
		const stored = read.header;
		const deliveries = stored.d ?? 0;
		const claimed = stored.p === 1;
		if ("legacy" in read) {
			// In the old format: converted in memory (and stored so at its next change).
			const body = copyBytes(cborEncode(read.header.b));
			const header = headerOf(this.name, this.createdAt, deliveries, claimed);
			this.#keep(recordOf(header, body), deliveries, claimed);
			return;
		}
		// A copy: a view would keep the buffer it came from alive (a driver's, or a decoder's).
		this.#keep({ record: copyBytes(value), bodyStart: read.bodyStart }, deliveries, claimed);
	}

	/** Keeps `made`, a record whose header holds `deliveries` and `claimed`. */
	#keep(
		made: { record: Uint8Array; bodyStart: number },
		deliveries: number,
		claimed: boolean,
	): void {
		this.#record = made.record;
		this.#bodyStart = made.bodyStart;
		this.#recordDeliveries = deliveries;
		this.#recordClaimed = claimed;
	}

	#attached(): Uint8Array {
		if (this.#record === undefined)
			throw new Error(`queue message ${this.seq}'s record was not read before it was used`);
		return this.#record;
	}

	/**
	 * The body, decoded (a new copy each time). From a copy of its bytes: the decoder makes
	 * binary parts (a `Uint8Array`) views of what it reads, and a consumer that changed one
	 * changed the stored record, written back with its next delivery count (a review,
	 * 2026-11-29).
	 */
	get body(): unknown {
		return cborDecode(copyBytes(this.#attached().subarray(this.#bodyStart)));
	}

	/** The record to store (its header written again when its delivery count or claim changed). */
	get record(): Uint8Array {
		const record = this.#attached();
		if (this.deliveries === this.#recordDeliveries && this.claimed === this.#recordClaimed)
			return record;
		const header = headerOf(this.name, this.createdAt, this.deliveries, this.claimed);
		this.#keep(recordOf(header, record.subarray(this.#bodyStart)), this.deliveries, this.claimed);
		return this.#attached();
	}
}
