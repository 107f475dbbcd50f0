import { LOG_BLOCK, type LogFile } from "./log-file.js";
import {
	decodeOps,
	encodeRecord,
	HEADER_BYTES,
	type LogOp,
	paddedLength,
	peekHeader,
	readRecord,
} from "./log-record.js";

/** What replaying a log found. */
export interface Replay {
	/** The commit groups after `appliedSeq`, in order, up to the first torn or invalid record. */
	groups: LogOp[][];
	/** The sequence number of the last group in `groups` (`appliedSeq` when none). */
	lastSeq: number;
	/**
	 * The highest sequence number of any record header in the file, valid
	 * or not, so new records never reuse one a stale record still carries.
	 */
	highestSeq: number;
}

/**
 * Reads the log from its start: records must follow each other (each at the
 * block after the previous one) with consecutive sequence numbers. Those at
 * or below `appliedSeq` are already in LMDB and skipped; the first one above
 * must be `appliedSeq + 1`. Replay stops at the first record that is torn,
 * fails its checksum, or breaks the sequence: everything after it was never
 * acknowledged (a group is acknowledged only once it and every group before
 * it are synced).
 */
export function replayLog(file: LogFile, appliedSeq: number): Replay {
	const bytes = file.read(0, file.size);
	const groups: LogOp[][] = [];
	let lastSeq = appliedSeq;
	let previous: number | undefined;
	let position = 0;
	while (position < bytes.length) {
		const record = readRecord(bytes.subarray(position));
		if (record === undefined) break;
		if (previous !== undefined && record.seq !== previous + 1) break;
		if (record.seq > appliedSeq) {
			if (record.seq !== lastSeq + 1) break;
			groups.push(decodeOps(record.payload));
			lastSeq = record.seq;
		}
		previous = record.seq;
		position += paddedLength(HEADER_BYTES + record.length);
	}
	let highestSeq = lastSeq;
	for (let at = 0; at < bytes.length; at += LOG_BLOCK) {
		const header = peekHeader(bytes.subarray(at, at + HEADER_BYTES));
		if (header !== undefined && header.seq > highestSeq) highestSeq = header.seq;
	}
	return { groups, lastSeq, highestSeq };
}

/** A record reserved in the log: its bytes, where they go and its sequence number. */
export interface ReservedRecord {
	bytes: Uint8Array;
	position: number;
	seq: number;
}

/**
 * The append side of the commit log: assigns sequence numbers and
 * positions, writes a record and syncs it (one `write` and one `fdatasync`
 * per commit group). After a failed write or sync the log refuses every
 * later append: whether the record reached the disk is unknown, so going on
 * could acknowledge later groups while an earlier one is in doubt.
 */
export class CommitLog {
	readonly #file: LogFile;
	/** Where records of up to four blocks are encoded (one record is in flight at a time). */
	readonly #scratch = new Uint8Array(4 * LOG_BLOCK);
	#position = 0;
	#nextSeq: number;
	#failure: unknown;

	/** A log whose next record is `nextSeq`, written from the start of the file. */
	constructor(file: LogFile, nextSeq: number) {
		this.#file = file;
		this.#nextSeq = nextSeq;
	}

	/** Sequence number of the last record reserved. */
	get lastSeq(): number {
		return this.#nextSeq - 1;
	}

	/** Bytes of the file in use since the last rewind. */
	get used(): number {
		return this.#position;
	}

	/** The file's size. */
	get size(): number {
		return this.#file.size;
	}

	/** True when a record of `bytes` bytes fits after the current position. */
	fits(bytes: number): boolean {
		return this.#position + bytes <= this.#file.size;
	}

	/** Grows the file (zero-filled and synced) to at least `bytes`. */
	grow(bytes: number): void {
		this.#file.extend(Math.ceil(bytes / LOG_BLOCK) * LOG_BLOCK);
	}

	/**
	 * Starts writing at the beginning of the file again. Only once every
	 * record so far is checkpointed into LMDB: they are overwritten.
	 */
	rewind(): void {
		this.#position = 0;
	}

	/**
	 * Encodes a group, assigning it the next sequence number and position.
	 * `makeRoom` is called first when the record does not fit after the
	 * current position; it must checkpoint and rewind, or grow the file.
	 * A small record's bytes are the log's scratch buffer: write it before
	 * the next `reserve`.
	 */
	reserve(ops: readonly LogOp[], makeRoom: (bytes: number) => void): ReservedRecord {
		if (this.#failure !== undefined) {
			throw new Error("The commit log failed to write earlier; restart the server to recover it.", {
				cause: this.#failure,
			});
		}
		const bytes = encodeRecord(this.#nextSeq, ops, this.#scratch);
		if (!this.fits(bytes.length)) makeRoom(bytes.length);
		if (!this.fits(bytes.length)) throw new Error("commit log: no room was made for a record");
		const record = { bytes, position: this.#position, seq: this.#nextSeq };
		this.#nextSeq++;
		this.#position += bytes.length;
		return record;
	}

	/** Writes and syncs a reserved record on this thread. */
	writeSync(record: ReservedRecord): void {
		try {
			this.#file.writeSync(record.bytes, record.position);
			this.#file.datasyncSync();
		} catch (error) {
			this.#failure = error;
			throw error;
		}
	}

	/** Writes and syncs a reserved record on libuv's thread pool. */
	async write(record: ReservedRecord): Promise<void> {
		try {
			await this.#file.write(record.bytes, record.position);
			await this.#file.datasync();
		} catch (error) {
			this.#failure = error;
			throw error;
		}
	}

	close(): void {
		this.#file.close();
	}
}
