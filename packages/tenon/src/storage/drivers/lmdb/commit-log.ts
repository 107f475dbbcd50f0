import { LOG_BLOCK, type LogFile } from "./log-file.js";
import {
	decodeOps,
	encodeRecord,
	HEADER_BYTES,
	type LogOp,
	paddedLength,
	readRecord,
} from "./log-record.js";

/** What replaying a log found. */
export interface Replay {
	/** The commit groups after `appliedSeq`, in order, up to the first torn or invalid record. */
	groups: LogOp[][];
	/** The sequence number of the last group in `groups` (`appliedSeq` when none). */
	lastSeq: number;
}

/**
 * Reads the log from its start: the records of pass `pass` that follow each
 * other (each at the block after the previous one) with consecutive
 * sequence numbers, the first one `appliedSeq + 1`. Replay stops at the
 * first record that is torn, fails its checksum, belongs to another pass or
 * breaks the sequence: everything after it was never acknowledged (a group
 * is acknowledged only once it and every group before it are synced).
 *
 * `pass` is the one stored with the last checkpoint; `undefined` for a data
 * directory from before passes (2026-11-24): then only "TNL1" records are
 * read, skipping those at or below `appliedSeq`, as that format was.
 */
export function replayLog(file: LogFile, appliedSeq: number, pass: number | undefined): Replay {
	const bytes = file.read(0, file.size);
	const groups: LogOp[][] = [];
	let lastSeq = appliedSeq;
	let previous: number | undefined;
	let position = 0;
	while (position < bytes.length) {
		const record = readRecord(bytes.subarray(position));
		if (record === undefined || record.pass !== pass) break;
		if (pass === undefined) {
			// The old format: a pass through the file held records already applied.
			if (previous !== undefined && record.seq !== previous + 1) break;
			previous = record.seq;
			if (record.seq <= appliedSeq) {
				position += paddedLength(HEADER_BYTES + record.payload.length);
				continue;
			}
		}
		if (record.seq !== lastSeq + 1) break;
		groups.push(decodeOps(record.payload));
		lastSeq = record.seq;
		position += paddedLength(HEADER_BYTES + record.payload.length);
	}
	return { groups, lastSeq };
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
	/** A record reserved and not written yet (its bytes may be the scratch). */
	#unwritten = false;
	#position = 0;
	#nextSeq: number;
	#pass: number;
	#failure: unknown;

	/**
	 * A log whose next record is `nextSeq`, of pass `pass` (stored in LMDB
	 * with the checkpoint before it), written from the start of the file.
	 */
	constructor(file: LogFile, nextSeq: number, pass: number) {
		this.#file = file;
		this.#nextSeq = nextSeq;
		this.#pass = pass;
	}

	/**
	 * Refuses every later append, as after a failed write: for a failure
	 * around the log that leaves what a restart would replay in doubt.
	 */
	fail(error: unknown): void {
		this.#failure ??= error;
	}

	/** True once a write failed (or {@link fail} was called): every later append is refused. */
	get failed(): boolean {
		return this.#failure !== undefined;
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
	 * Starts writing at the beginning of the file again, records of pass
	 * `pass`. Only once every record so far is checkpointed into LMDB (they
	 * are overwritten), with `pass` stored in the same transaction.
	 */
	rewind(pass: number): void {
		this.#position = 0;
		this.#pass = pass;
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
			throw new Error(
				"The commit log failed earlier (a write, a sync or a checkpoint); restart the server to recover it.",
				{
					cause: this.#failure,
				},
			);
		}
		if (this.#unwritten)
			throw new Error("commit log: a record was reserved before the last one was written");
		let bytes = encodeRecord(this.#nextSeq, ops, this.#pass, this.#scratch);
		if (!this.fits(bytes.length)) {
			makeRoom(bytes.length);
			// Making room may have rewound the log: the record is one of the new pass.
			bytes = encodeRecord(this.#nextSeq, ops, this.#pass, this.#scratch);
		}
		if (!this.fits(bytes.length)) throw new Error("commit log: no room was made for a record");
		const record = { bytes, position: this.#position, seq: this.#nextSeq };
		this.#unwritten = true;
		this.#nextSeq++;
		this.#position += bytes.length;
		return record;
	}

	/** Writes and syncs a reserved record on this thread. */
	writeSync(record: ReservedRecord): void {
		try {
			this.#file.writeSync(record.bytes, record.position);
			this.#unwritten = false;
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
			this.#unwritten = false;
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
