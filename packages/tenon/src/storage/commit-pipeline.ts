import type { ActorStore, CommitItem, CommitResult } from "./interfaces.js";

interface PendingCommit {
	item: CommitItem;
	resolve(result: CommitResult): void;
	reject(error: unknown): void;
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

	constructor(store: ActorStore) {
		this.#store = store;
	}

	/** Queues one actor's commit; resolves with its result once durable. */
	submit(item: CommitItem): Promise<CommitResult> {
		return new Promise<CommitResult>((resolve, reject) => {
			this.#pending.push({ item, resolve, reject });
			if (!this.#scheduled) {
				this.#scheduled = true;
				// setImmediate runs after the I/O callbacks of this loop turn, so
				// everything that arrives together is committed together.
				setImmediate(() => this.#flush());
			}
		});
	}

	#flush(): void {
		this.#scheduled = false;
		const batch = this.#pending;
		if (batch.length === 0) return;
		this.#pending = [];
		this.batches++;
		this.items += batch.length;
		const done = this.#store.commit(batch.map((pending) => pending.item)).then(
			(results) => {
				batch.forEach((pending, i) => {
					const result = results[i];
					if (result) pending.resolve(result);
					else pending.reject(new Error("storage driver returned fewer results than commits"));
				});
			},
			(error: unknown) => {
				for (const pending of batch) pending.reject(error);
			},
		);
		this.#inFlight.add(done);
		void done.finally(() => this.#inFlight.delete(done));
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
