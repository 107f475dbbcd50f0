import { randomBytes } from "node:crypto";
import type { Logger } from "../../../common/logger.js";
import type { CommitItem, CommitResult } from "../../interfaces.js";
import { CommitLog, replayLog } from "./commit-log.js";
import { planCommit } from "./commit-plan.js";
import type { LmdbEnv } from "./env.js";
import { applyOp } from "./lmdb-data.js";
import type { LogFile } from "./log-file.js";
import type { LogOp } from "./log-record.js";
import { keyBytes, OverlayLayer } from "./overlay.js";
import { FenceCache, OverlayView } from "./overlay-view.js";
import type { CommitWriter } from "./store.js";

/** The `meta` key holding the sequence number of the last log record checkpointed into LMDB. */
const APPLIED_SEQ_KEY = "commitLogAppliedSeq";
/** The `meta` key holding the pass of the records written since that checkpoint (log-record.ts). */
const PASS_KEY = "commitLogPass";

/** A new pass: random, so no earlier pass's record (nor a client's bytes) can carry it. */
function newPass(): number {
	return randomBytes(4).readUInt32BE(0);
}

/** Most writes one checkpoint transaction applies (see {@link checkpointLayer}). */
export const CHECKPOINT_CHUNK_OPS = 4_096;

/** Limits of the commit log (see docs/durability.md). */
export interface CommitLogLimits {
	/** Size of a new log file, bytes. */
	initialBytes: number;
	/** The file grows (doubling) up to this before a full log waits for a checkpoint, bytes. */
	maxBytes: number;
	/** Writes are checkpointed into LMDB at least this often when there are any, ms. */
	checkpointIntervalMs: number;
	/** A checkpoint also runs when the writes held in memory exceed this, bytes. */
	maxOverlayBytes: number;
	/** Most writes one checkpoint transaction applies; a larger checkpoint takes several. */
	checkpointChunkOps: number;
}

/** Default {@link CommitLogLimits}. */
export const DEFAULT_COMMIT_LOG_LIMITS: CommitLogLimits = {
	initialBytes: 1024 * 1024,
	maxBytes: 64 * 1024 * 1024,
	checkpointIntervalMs: 1_000,
	maxOverlayBytes: 64 * 1024 * 1024,
	checkpointChunkOps: CHECKPOINT_CHUNK_OPS,
};

/**
 * Applies a layer to LMDB with LMDB's normal sync, in transactions of at
 * most `chunkOps` writes; the last one records `seq` as applied and `pass`
 * as the pass of the records written next (from the log's start), so once it
 * commits LMDB is consistent by its own guarantees and the log records up to
 * `seq` are no longer needed.
 *
 * Why chunks: LMDB keeps every page a write transaction dirtied in a list of
 * its own for reuse until the environment closes (mdb.c, `mdb_page_free`),
 * so one transaction for a burst of thousands of actors' writes kept that
 * many pages of native memory for good. A crash between two chunks leaves
 * LMDB with part of the layer and the old `seq` and pass: recovery replays
 * the log from there, and as every logged op is a blind write (a put, a
 * delete, a fence, an alarm), replaying it over a part already applied ends
 * in the same state.
 */
function checkpointLayer(
	env: LmdbEnv,
	layer: OverlayLayer,
	seq: number,
	pass: number,
	chunkOps = CHECKPOINT_CHUNK_OPS,
): void {
	let chunk: LogOp[] = [];
	const apply = (ops: LogOp[], last: boolean) =>
		env.root.transactionSync(() => {
			for (const op of ops) applyOp(env, op);
			if (last) {
				env.meta.putSync(APPLIED_SEQ_KEY, seq);
				env.meta.putSync(PASS_KEY, pass);
			}
		});
	const add = (op: LogOp) => {
		chunk.push(op);
		if (chunk.length >= chunkOps) {
			apply(chunk, false);
			chunk = [];
		}
	};
	for (const [actorId, slots] of layer.data) {
		for (const [name, value] of slots) {
			const key = keyBytes(name);
			add(value === null ? { kind: "delete", actorId, key } : { kind: "put", actorId, key, value });
		}
	}
	for (const [actorId, fence] of layer.fences) add({ kind: "fence", actorId, fence });
	for (const [actorId, at] of layer.alarms) add({ kind: "alarm", actorId, at });
	apply(chunk, true);
}

/**
 * Brings LMDB up to date with the log after a crash: replays the records of
 * the current pass after the last checkpoint and checkpoints them, with a
 * new pass (so nothing this run finds in the file can count as a record of
 * the next). Returns the sequence number the log continues after, and the
 * pass of its next records.
 */
export function recoverCommitLog(
	env: LmdbEnv,
	file: LogFile,
	chunkOps = CHECKPOINT_CHUNK_OPS,
): { seq: number; pass: number } {
	const applied: number = env.meta.get(APPLIED_SEQ_KEY) ?? 0;
	const stored: number | undefined = env.meta.get(PASS_KEY);
	const replay = replayLog(file, applied, stored);
	const layer = new OverlayLayer();
	for (const group of replay.groups) for (const op of group) layer.apply(op);
	const pass = newPass();
	checkpointLayer(env, layer, replay.lastSeq, pass, chunkOps);
	return { seq: replay.lastSeq, pass };
}

/**
 * Commits through the commit log: each batch is one record, written and
 * synced with one `write` and one `fdatasync` (one device flush), then kept
 * in an in-memory overlay that reads consult before LMDB. Checkpoints apply
 * the overlay to LMDB with LMDB's full sync, then rewind the log.
 */
export class LogWriter implements CommitWriter {
	readonly #env: LmdbEnv;
	readonly #log: CommitLog;
	readonly #limits: CommitLogLimits;
	readonly #logger: Logger | undefined;
	#active = new OverlayLayer();
	/** A commit whose record is being written on the thread pool. */
	#writing: Promise<unknown> | undefined;
	readonly #timer: NodeJS.Timeout;
	readonly #fences = new FenceCache();
	/** Closed (or closing): commits are refused, the one in flight lands first. */
	#closed = false;
	/** When a checkpoint last failed (`performance.now()`): commits do not retry one sooner than the interval. */
	#checkpointFailedAt = Number.NEGATIVE_INFINITY;
	/** The bytes the last commit found no room for in the log (0: it found room). */
	#roomNeeded = 0;
	/** Reads of durable state: the overlay, then LMDB. */
	readonly view: OverlayView;

	constructor(env: LmdbEnv, file: LogFile, limits: CommitLogLimits, logger: Logger | undefined) {
		this.#env = env;
		this.#limits = limits;
		this.#logger = logger;
		if (logger !== undefined) file.onWarning = (message) => logger.warn(message);
		const recovered = recoverCommitLog(env, file, limits.checkpointChunkOps);
		this.#log = new CommitLog(file, recovered.seq + 1, recovered.pass);
		this.view = new OverlayView(env, () => [this.#active], this.#fences);
		this.#timer = setInterval(() => this.#checkpointWhenIdle(), limits.checkpointIntervalMs);
		this.#timer.unref();
	}

	/** Plans a batch against the overlay, into a layer of its own that only it sees. */
	#stage(batch: readonly CommitItem[]) {
		const staging = new OverlayLayer();
		const ops: LogOp[] = [];
		const view = new OverlayView(this.#env, () => [staging, this.#active], this.#fences);
		const results = batch.map((item) =>
			planCommit(item, view, (op) => {
				staging.apply(op);
				ops.push(op);
			}),
		);
		return { results, staging, ops };
	}

	/** True when commits are refused for good (a failed record or checkpoint): a restart recovers. */
	get failed(): boolean {
		return this.#closed || this.#log.failed;
	}

	/**
	 * True when commits are refused: for good (see {@link failed}), or because the last one found
	 * no room in the log (the file could not grow, or the checkpoint that would rewind it failed:
	 * a full disk), which it tries to make again now, so a node that gets no commits (taken out
	 * of rotation) sees the room come back. Readiness says `storage` meanwhile (it said ready
	 * while every commit failed, an SRE walkthrough, 2026-11-29).
	 */
	refusesCommits(): boolean {
		if (this.failed) return true;
		if (this.#roomNeeded === 0) return false;
		if (this.#writing !== undefined) return true;
		try {
			this.#makeRoom(this.#roomNeeded);
			this.#roomNeeded = 0;
			return false;
		} catch {
			return true;
		}
	}

	/** Reserves a group's record; room not found is remembered (see {@link refusesCommits}). */
	#reserve(ops: LogOp[]): ReturnType<CommitLog["reserve"]> {
		const record = this.#log.reserve(ops, (bytes) => {
			try {
				this.#makeRoom(bytes);
			} catch (error) {
				this.#roomNeeded = bytes;
				throw error;
			}
		});
		this.#roomNeeded = 0;
		return record;
	}

	commitSync(batch: readonly CommitItem[]): CommitResult[] {
		this.#refuseWhenClosed();
		if (this.#writing !== undefined) {
			throw new Error("LMDB commit log: commitSync called while a commit is in flight");
		}
		const { results, staging, ops } = this.#stage(batch);
		if (ops.length === 0) return results;
		this.#log.writeSync(this.#reserve(ops));
		this.#published(staging);
		return results;
	}

	async commit(batch: readonly CommitItem[]): Promise<CommitResult[]> {
		// One record at a time: a batch is planned against every earlier one.
		while (this.#writing !== undefined) await this.#writing.catch(() => {});
		// After the wait too: close() waited for the same commit and went first.
		this.#refuseWhenClosed();
		const { results, staging, ops } = this.#stage(batch);
		if (ops.length === 0) return results;
		const writing = this.#log.write(this.#reserve(ops));
		this.#writing = writing;
		try {
			await writing;
		} finally {
			this.#writing = undefined;
		}
		this.#published(staging);
		return results;
	}

	/**
	 * A synced record's writes become visible to reads. The commit is durable
	 * from here on, so a checkpoint that fails now must not fail it.
	 */
	#published(staging: OverlayLayer): void {
		for (const [actorId, fence] of staging.fences) this.#fences.remember(actorId, fence);
		this.#active.absorb(staging);
		// After a failure, only the timer retries: a retry re-applies every chunk, each synced.
		if (
			this.#active.bytes > this.#limits.maxOverlayBytes &&
			performance.now() - this.#checkpointFailedAt >= this.#limits.checkpointIntervalMs
		)
			this.#checkpointWhenIdle();
	}

	/**
	 * Room for a record of `bytes`: grow the file while under its limit, else
	 * checkpoint and start over (the commit waits: back-pressure, not loss).
	 */
	#makeRoom(bytes: number): void {
		const needed = this.#log.used + bytes;
		if (this.#log.size < this.#limits.maxBytes) {
			this.#log.grow(Math.max(needed, Math.min(this.#log.size * 2, this.#limits.maxBytes)));
			if (this.#log.fits(bytes)) return;
		}
		this.checkpoint();
		// One group larger than the whole log still gets written.
		if (!this.#log.fits(bytes)) this.#log.grow(bytes);
	}

	/**
	 * Applies the overlay to LMDB (one transaction, LMDB's full sync) and
	 * rewinds the log. Never while a record is being written.
	 */
	checkpoint(): void {
		if (this.#writing !== undefined) throw new Error("checkpoint while a commit is in flight");
		// Nothing written since the last rewind: the file holds no record of this pass yet.
		if (this.#active.empty && this.#log.used === 0) return;
		const pass = newPass();
		try {
			checkpointLayer(
				this.#env,
				this.#active,
				this.#log.lastSeq,
				pass,
				this.#limits.checkpointChunkOps,
			);
		} catch (error) {
			if (this.#passStored(pass)) this.#log.fail(error);
			throw error;
		}
		this.#active = new OverlayLayer();
		this.#log.rewind(pass);
	}

	/**
	 * After a checkpoint failed: true when its last transaction may have
	 * committed anyway (LMDB reports a failed sync of its meta page after the
	 * page was written), i.e. LMDB shows `pass`, or cannot be read. Records
	 * of the old pass written after that would be skipped by the next start's
	 * replay, so the log must take no more; the restart's recovery then finds
	 * LMDB and the log consistent either way. A transaction that failed
	 * before committing (a full map) leaves the old pass: retried later.
	 */
	#passStored(pass: number): boolean {
		try {
			// A fresh read: lmdb-js reuses this tick's read transaction, which a
			// commit that threw did not renew, and would show the old pass.
			this.#env.root.resetReadTxn();
			return this.#env.meta.get(PASS_KEY) === pass;
		} catch {
			return true;
		}
	}

	#checkpointWhenIdle(): void {
		if (this.#writing !== undefined || this.#active.empty) return;
		try {
			this.checkpoint();
		} catch (error) {
			// The writes stay durable in the log and in the overlay; the next
			// checkpoint (timer or full log) tries again.
			this.#checkpointFailedAt = performance.now();
			this.#logger?.error("commit log checkpoint failed", { error: String(error) });
		}
	}

	#refuseWhenClosed(): void {
		if (this.#closed) throw new Error("LMDB commit log: the storage is closed");
	}

	/** Waits for a commit in flight, checkpoints everything and closes the log. */
	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		clearInterval(this.#timer);
		while (this.#writing !== undefined) await this.#writing.catch(() => {});
		try {
			this.checkpoint();
		} catch (error) {
			// Every acknowledged write is in the log, which the next start replays: the close
			// goes on. It rejected, and `server.close().then(...)` ended the process on an
			// unhandled rejection, "tenon stopped" never logged (an SRE walkthrough, 2026-11-29).
			this.#logger?.error("commit log checkpoint failed at close: the next start replays the log", {
				error: String(error),
			});
		}
		this.#log.close();
	}
}
