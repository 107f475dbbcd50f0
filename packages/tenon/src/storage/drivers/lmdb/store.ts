import type {
	ActorStore,
	CommitItem,
	CommitResult,
	Entry,
	KeyRange,
	ListOptions,
} from "../../interfaces.js";
import type { OverlayView } from "./overlay-view.js";

/** How a batch of commits becomes durable: LMDB transactions, or the commit log. */
export interface CommitWriter {
	/** Applies a batch; resolves once the accepted items are durable. */
	commit(batch: readonly CommitItem[]): Promise<CommitResult[]>;
	/** The same on the calling thread; returns once durable. */
	commitSync(batch: readonly CommitItem[]): CommitResult[];
}

/**
 * LMDB {@link ActorStore}. Reads go through the commit log's overlay (writes
 * durable in the log, not yet checkpointed into LMDB); commits go to the
 * configured {@link CommitWriter}.
 *
 * Keys longer than LMDB's limit (1978 bytes with the actor id) are kept in a
 * second database and merged into listings, so actor keys of any length keep
 * exact byte order.
 */
export class LmdbStore implements ActorStore {
	/** LMDB and the log have one writer: one commit at a time, as large as the load makes it. */
	readonly commitConcurrency = 1;
	readonly #view: OverlayView;
	readonly #writer: CommitWriter;

	constructor(view: OverlayView, writer: CommitWriter) {
		this.#view = view;
		this.#writer = writer;
	}

	async get(actorId: string, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
		return keys.map((key) => this.#view.get(actorId, key));
	}

	async list(actorId: string, range: KeyRange, options: ListOptions = {}): Promise<Entry[]> {
		return this.#view.list(actorId, range, options);
	}

	commit(batch: readonly CommitItem[]): Promise<CommitResult[]> {
		return this.#writer.commit(batch);
	}

	/**
	 * Commits on the calling thread and returns once durable. Cheaper in
	 * latency than {@link commit} (no hand-off to another thread and back),
	 * but blocks the event loop for the sync: the pipeline uses it only when
	 * nothing else is being committed.
	 */
	commitSync(batch: readonly CommitItem[]): CommitResult[] {
		return this.#writer.commitSync(batch);
	}
}
