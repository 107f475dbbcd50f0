import { monotonicSeconds, noopMetrics, type RuntimeMetrics } from "../observability/metrics.js";
import type { ActorStore, CommitItem, CommitResult } from "./interfaces.js";

/**
 * What an actor submits: its commit, or a function that builds it when the
 * batch is sent. Late collection lets writes made until then (in later
 * microtasks or callbacks of the same loop turn) join the commit.
 * `null`: nothing to commit any more (the item resolves `{ ok: true }`).
 */
export type CommitSource = CommitItem | (() => CommitItem | null);

/** Largest batch committed synchronously when nothing else is in flight. */
const SYNC_COMMIT_MAX_ITEMS = 8;

/** Hears how one submitted commit ended: its result, or the error that failed it. */
export interface CommitListener {
	committed(result: CommitResult): void;
	failed(error: unknown): void;
}

interface PendingCommit {
	source: CommitSource;
	listener: CommitListener;
}

/** A listener that settles a promise (what {@link CommitPipeline.submit} returns). */
class PromiseListener implements CommitListener {
	constructor(
		readonly committed: (result: CommitResult) => void,
		readonly failed: (error: unknown) => void,
	) {}
}

/**
 * Tells `listener` without letting it break the batch's loop: a listener that
 * throws is a bug, reported as an uncaught exception (as a throw in a
 * promise callback would be an unhandled rejection), once the others heard theirs.
 */
function tell(listener: CommitListener, result: CommitResult | undefined, error?: unknown): void {
	try {
		if (result !== undefined) listener.committed(result);
		else listener.failed(error);
	} catch (thrown) {
		queueMicrotask(() => {
			throw thrown;
		});
	}
}

function settleBatch(batch: readonly PendingCommit[], results: readonly CommitResult[]): void {
	for (let i = 0; i < batch.length; i++) {
		const result = results[i];
		const { listener } = batch[i] as PendingCommit;
		if (result) tell(listener, result);
		else tell(listener, undefined, new Error("storage driver returned fewer results than commits"));
	}
}

/**
 * Groups commits from many actors on one node into one driver call per event
 * loop turn (group commit): each reply still waits for durability, but one
 * flush to disk covers everything that arrived together.
 */
export class CommitPipeline {
	readonly #store: ActorStore;
	#pending: PendingCommit[] = [];
	#scheduled = false;
	#inFlight = new Set<Promise<void>>();
	/** Batches sent to the driver (for benchmarks and tests). */
	batches = 0;
	/** Items committed (for benchmarks and tests). */
	items = 0;

	readonly #concurrency: number;
	readonly #metrics: Pick<RuntimeMetrics, "commitBatch" | "commitFailed">;

	constructor(
		store: ActorStore,
		metrics: Pick<RuntimeMetrics, "commitBatch" | "commitFailed"> = noopMetrics,
	) {
		this.#store = store;
		this.#metrics = metrics;
		this.#concurrency = Math.max(1, store.commitConcurrency ?? Number.POSITIVE_INFINITY);
	}

	/** Queues one actor's commit; resolves with its result once durable. */
	submit(source: CommitSource): Promise<CommitResult> {
		return new Promise<CommitResult>((resolve, reject) => {
			this.enqueue(source, new PromiseListener(resolve, reject));
		});
	}

	/**
	 * Queues one actor's commit; `listener` hears its result once durable,
	 * synchronously when the batch is done: no promise, and no microtask
	 * between the flush and the replies it releases (an actor's writer).
	 */
	enqueue(source: CommitSource, listener: CommitListener): void {
		this.#pending.push({ source, listener });
		if (!this.#scheduled) {
			this.#scheduled = true;
			// setImmediate runs after the I/O callbacks of this loop turn, so
			// everything that arrives together is committed together.
			setImmediate(() => this.#flush());
		}
	}

	#flush(): void {
		this.#scheduled = false;
		const pending = this.#pending;
		if (pending.length === 0) return;
		// A driver that writes one transaction at a time (LMDB) gets the next
		// batch when the current one is done: everything that arrived meanwhile
		// goes in one transaction, so batches grow with load (group commit).
		if (this.#inFlight.size >= this.#concurrency) return;
		this.#pending = [];
		// Build late-collected items now; one that fails is rejected on its own.
		const batch: PendingCommit[] = [];
		const items: CommitItem[] = [];
		for (const commit of pending) {
			let item: CommitItem | null;
			try {
				item = typeof commit.source === "function" ? commit.source() : commit.source;
			} catch (error) {
				tell(commit.listener, undefined, error);
				continue;
			}
			if (item === null) {
				tell(commit.listener, { ok: true });
				continue;
			}
			batch.push(commit);
			items.push(item);
		}
		if (batch.length === 0) return;
		this.batches++;
		this.items += batch.length;
		const startedAt = monotonicSeconds();
		// Nothing else in flight and few items: the synchronous commit answers
		// sooner (it blocks the loop only for one sync, when there is little to do).
		const commitSync = this.#store.commitSync;
		if (
			commitSync !== undefined &&
			this.#inFlight.size === 0 &&
			batch.length <= SYNC_COMMIT_MAX_ITEMS
		) {
			let results: CommitResult[];
			try {
				results = commitSync.call(this.#store, items);
				this.#metrics.commitBatch(monotonicSeconds() - startedAt, batch.length);
			} catch (error) {
				this.#metrics.commitFailed(batch.length);
				for (const commit of batch) tell(commit.listener, undefined, error);
				return;
			}
			settleBatch(batch, results);
			return;
		}
		const done = this.#store.commit(items).then(
			(results) => {
				this.#metrics.commitBatch(monotonicSeconds() - startedAt, batch.length);
				settleBatch(batch, results);
			},
			(error: unknown) => {
				this.#metrics.commitFailed(batch.length);
				for (const commit of batch) tell(commit.listener, undefined, error);
			},
		);
		this.#inFlight.add(done);
		void done.finally(() => {
			this.#inFlight.delete(done);
			if (this.#pending.length > 0 && !this.#scheduled) this.#flush();
		});
	}

	/** True when nothing is queued or being committed. */
	get idle(): boolean {
		return this.#pending.length === 0 && this.#inFlight.size === 0 && !this.#scheduled;
	}

	/** Resolves when everything submitted so far has been committed (or failed). */
	async drain(): Promise<void> {
		while (this.#pending.length > 0 || this.#inFlight.size > 0 || this.#scheduled) {
			if (this.#scheduled || this.#pending.length > 0) await new Promise((r) => setImmediate(r));
			await Promise.allSettled([...this.#inFlight]);
		}
	}
}
