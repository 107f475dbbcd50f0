import type { Clock, TimerHandle } from "../common/clock.js";
import { type Deferred, deferred } from "../common/deferred.js";
import { ActorError, errors } from "../protocol/errors.js";
import type { CommitPipeline } from "../storage/commit-pipeline.js";
import type { Entry, KeyRange } from "../storage/interfaces.js";

/** Writes collected for one commit. */
export interface WriteBatch {
	puts: Entry[];
	deletes: Uint8Array[];
	deleteRanges: KeyRange[];
	/** Set or clear the actor's alarm; omitted leaves it. */
	alarm?: number | null;
}

/**
 * Something that buffers an actor's changes between commits: the state
 * tracker, and later KV, queues, schedules and workflows.
 */
export interface WriteSource {
	/** True when changes are waiting to be committed. */
	readonly hasChanges: boolean;
	/** Moves the waiting changes into `batch`. May throw (e.g. unstorable state). */
	collect(batch: WriteBatch): void;
	/** The writes last collected are durable. */
	committed?(): void;
}

/** Raised when the store rejected a commit because another owner has a newer fence. */
export class FencedError extends ActorError {
	constructor(currentFence: number) {
		super("actor", "fenced", "Another owner took over this actor; its writes were rejected", {
			currentFence,
		});
	}
}

interface Waiter {
	generation: number;
	resolve(): void;
	reject(error: unknown): void;
}

/** Options of {@link ActorWriter}. */
export interface ActorWriterOptions {
	actorId: string;
	fence: number;
	pipeline: CommitPipeline;
	sources: readonly WriteSource[];
	durability: "strict" | "relaxed";
	saveIntervalMs: number;
	clock: Clock;
	/** Called once if a commit fails; the actor must then be reset. */
	onFailure(error: unknown): void;
	/** Called after each durable commit (to release held outputs); `alarm` when the commit changed it. */
	onDurable(generation: number, alarm: number | null | undefined): void;
}

/**
 * One actor's commit loop and output gate.
 *
 * Writes accumulate in the open generation. A commit takes the open
 * generation's writes and opens the next one; at most one commit per actor is
 * in flight, so commits apply in order. An output (reply or event) produced now
 * must wait for `requiredGeneration()` to be durable: the open generation if it
 * has writes, otherwise the one being committed. Nothing leaves before the
 * writes that preceded it are on stable storage.
 *
 * A commit is requested at once but its writes are collected when the
 * pipeline sends its batch (end of the loop turn), so everything written
 * until then, in later microtasks too, is part of the same atomic commit.
 */
export class ActorWriter {
	readonly #options: ActorWriterOptions;
	#openGeneration = 1;
	#durableGeneration = 0;
	#committingGeneration = 0;
	/** A commit was submitted and will collect the open generation's writes. */
	#collectPending = false;
	#flushRequested = false;
	/** Made on the first wait (most awake actors are never waited for). */
	#waiters: Waiter[] | undefined;
	#failure: unknown = undefined;
	/** Set once closed, with why: what waits made after it are rejected with. */
	/** Set once closed: makes the error waits are rejected with (only when one is). */
	#closed: (() => unknown) | undefined;
	#saveTimer: TimerHandle | undefined;
	/** What {@link settled} returns, made when asked while a commit is in flight. */
	#settling: Deferred<void> | undefined;

	constructor(options: ActorWriterOptions) {
		this.#options = options;
	}

	/** The newest generation known to be durable. */
	get durableGeneration(): number {
		return this.#durableGeneration;
	}

	/** True when changes are waiting to be committed. */
	get hasPendingWrites(): boolean {
		for (const source of this.#options.sources) if (source.hasChanges) return true;
		return false;
	}

	/** True once a commit failed; the actor is being reset. */
	get failed(): boolean {
		return this.#failure !== undefined;
	}

	/** The generation an output produced now depends on (0: nothing to wait for). */
	requiredGeneration(): number {
		if (this.#options.durability === "relaxed") return 0;
		if (this.hasPendingWrites) return this.#openGeneration;
		if (this.#committingGeneration !== 0) return this.#committingGeneration;
		return this.#durableGeneration;
	}

	/** True when `generation` is durable. */
	isDurable(generation: number): boolean {
		return generation <= this.#durableGeneration;
	}

	/** Makes sure the writes of `generation` get committed soon. */
	flushFor(generation: number): void {
		if (
			this.#closed !== undefined ||
			this.#failure !== undefined ||
			generation <= this.#durableGeneration
		)
			return;
		// The submitted commit collects the open generation (the newest) when it is sent.
		if (this.#collectPending) return;
		if (this.#committingGeneration !== 0) {
			if (generation > this.#committingGeneration) this.#flushRequested = true;
			return;
		}
		if (this.hasPendingWrites) this.#startCommit();
	}

	/** Commits pending writes soon: at once in strict mode, within the save interval in relaxed mode. */
	writesChanged(): void {
		if (this.#options.durability === "strict") {
			this.flushFor(this.#openGeneration);
			return;
		}
		if (this.#saveTimer === undefined && this.#closed === undefined) {
			this.#saveTimer = this.#options.clock.setTimeout(() => {
				this.#saveTimer = undefined;
				this.flushFor(this.#openGeneration);
			}, this.#options.saveIntervalMs);
		}
	}

	/** Resolves when `generation` is durable; rejects if a commit fails first. */
	whenDurable(generation: number): Promise<void> {
		if (generation <= this.#durableGeneration) return Promise.resolve();
		if (this.#failure !== undefined) return Promise.reject(this.#failure);
		// Closed: nothing more gets committed, so this wait would never end.
		if (this.#closed !== undefined) return Promise.reject(this.#closed());
		return new Promise<void>((resolve, reject) => {
			const waiter = { generation, resolve, reject };
			this.#waiters ??= [];
			const waiters = this.#waiters;
			let at = waiters.length;
			while (at > 0 && (waiters[at - 1] as Waiter).generation > generation) at--;
			waiters.splice(at, 0, waiter);
		});
	}

	/** Commits everything pending now and resolves once it is durable (`c.saveState()`, sleep). */
	async flush(): Promise<void> {
		const generation = this.hasPendingWrites ? this.#openGeneration : this.#committingGeneration;
		if (generation === 0) return;
		this.flushFor(generation);
		await this.whenDurable(generation);
	}

	/**
	 * Resolves once no commit is in flight: at once when none is, else when the
	 * one sent has landed or failed. A closed writer's last commit still lands;
	 * its actor keeps its place until then, so the next instance reads it.
	 */
	settled(): Promise<void> {
		if (this.#committingGeneration === 0) return Promise.resolve();
		this.#settling ??= deferred<void>();
		return this.#settling.promise;
	}

	#settle(): void {
		const settling = this.#settling;
		this.#settling = undefined;
		settling?.resolve(undefined);
	}

	/**
	 * Stops committing. Pending waiters, and later waits, are rejected with
	 * what `reason` makes: made only then, as an actor that sleeps usually has
	 * none (an error captures a stack trace).
	 */
	close(reason: () => unknown): void {
		this.#closed ??= reason;
		if (this.#saveTimer !== undefined) this.#options.clock.clearTimeout(this.#saveTimer);
		this.#saveTimer = undefined;
		if (this.#waiters !== undefined) this.#rejectAll(reason());
	}

	#startCommit(): void {
		this.#collectPending = true;
		let generation = 0;
		let alarm: number | null | undefined;
		this.#options.pipeline.enqueue(
			() => {
				this.#collectPending = false;
				if (this.#closed !== undefined || this.#failure !== undefined) return null;
				const batch: WriteBatch = { puts: [], deletes: [], deleteRanges: [] };
				for (const source of this.#options.sources) if (source.hasChanges) source.collect(batch);
				generation = this.#openGeneration++;
				this.#committingGeneration = generation;
				alarm = batch.alarm;
				const { actorId, fence } = this.#options;
				return {
					actorId,
					fence,
					puts: batch.puts,
					deletes: batch.deletes,
					deleteRanges: batch.deleteRanges,
					...(alarm === undefined ? {} : { alarm }),
				};
			},
			{
				// Heard synchronously when the batch is durable: the replies it
				// releases leave in the same turn of the loop, no microtask later.
				committed: (result) => {
					if (generation === 0) return; // closed before it was collected
					if (!result.ok) {
						this.#fail(new FencedError(result.currentFence));
						return;
					}
					this.#committed(generation, alarm);
				},
				failed: (error: unknown) => this.#fail(error),
			},
		);
	}

	#committed(generation: number, alarm: number | null | undefined): void {
		this.#committingGeneration = 0;
		this.#settle();
		this.#durableGeneration = generation;
		for (const source of this.#options.sources) source.committed?.();
		const waiters = this.#waiters;
		if (waiters !== undefined) {
			let released = 0;
			while (released < waiters.length && (waiters[released] as Waiter).generation <= generation)
				released++;
			// No array per commit when nobody waits for this one.
			if (released > 0) for (const waiter of waiters.splice(0, released)) waiter.resolve();
			// An idle actor keeps no empty list (made again on the next wait).
			if (waiters.length === 0) this.#waiters = undefined;
		}
		this.#options.onDurable(generation, alarm);
		if (this.#flushRequested && this.#closed === undefined) {
			this.#flushRequested = false;
			if (this.hasPendingWrites) this.#startCommit();
		}
	}

	#fail(error: unknown): void {
		this.#committingGeneration = 0;
		this.#settle();
		if (this.#failure !== undefined) return;
		// Waiters (replies) get a sanitized error; the cause goes to onFailure,
		// which logs it once and resets the actor.
		const publicError = error instanceof ActorError ? error : errors.internal();
		this.#failure = publicError;
		this.#rejectAll(publicError);
		this.#options.onFailure(error);
	}

	#rejectAll(error: unknown): void {
		const waiters = this.#waiters;
		this.#waiters = undefined;
		for (const waiter of waiters ?? []) waiter.reject(error);
	}
}
