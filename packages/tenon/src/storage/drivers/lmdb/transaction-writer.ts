import type { CommitItem, CommitResult } from "../../interfaces.js";
import { planCommit } from "./commit-plan.js";
import type { LmdbEnv } from "./env.js";
import { applyOp } from "./lmdb-data.js";
import { OverlayView } from "./overlay-view.js";
import type { CommitWriter } from "./store.js";

/**
 * Commits each batch as one LMDB write transaction with LMDB's own sync (the
 * `commitLog: false` mode): an fdatasync of the data pages, then a
 * synchronous write of the meta page, two device flushes per batch.
 */
export class TransactionWriter implements CommitWriter {
	readonly #env: LmdbEnv;
	/** Inside a write transaction LMDB reads see that transaction's writes. */
	readonly #view: OverlayView;

	constructor(env: LmdbEnv) {
		this.#env = env;
		this.#view = new OverlayView(env, () => []);
	}

	#apply(batch: readonly CommitItem[]): CommitResult[] {
		return batch.map((item) => planCommit(item, this.#view, (op) => applyOp(this.#env, op)));
	}

	async commit(batch: readonly CommitItem[]): Promise<CommitResult[]> {
		const results = await this.#env.root.transaction(() => this.#apply(batch));
		// Resolved after the sync with overlappingSync off; awaited so durability
		// holds whatever the environment's sync mode.
		await this.#env.root.flushed;
		return results;
	}

	commitSync(batch: readonly CommitItem[]): CommitResult[] {
		return this.#env.root.transactionSync(() => this.#apply(batch));
	}
}
