import type { ActorContext } from "../actor/context.js";
import type { RunHost } from "../actor/run-host.js";
import { type Logger, moduleLogger } from "../common/logger.js";
import { callAsync, withTimeout } from "../common/timeouts.js";
import { WorkflowContextImpl } from "./context.js";
import {
	EvictedError,
	errorInfo,
	isCodeError,
	isControlError,
	sameHalt,
	type WorkflowErrorInfo,
} from "./errors.js";
import {
	Journal,
	type JournalEntry,
	type JournalStatus,
	uncompletedMessageIds,
} from "./journal.js";
import { CompensationRegistry, compensate } from "./rollback.js";

export { MAX_COMPENSATION_CRASHES } from "./rollback.js";

import { RollbackFrame, Scope } from "./scope.js";
import { STEP_DEFAULTS } from "./step.js";
import type { WorkflowErrorEvent, WorkflowOptions } from "./types.js";
import { type InStepOptions, runUserCode } from "./user-code.js";

/** The function a workflow runs. */
export type WorkflowFunction = (ctx: WorkflowContextImpl) => Promise<unknown>;

/**
 * Runs one actor's workflow: replays its journal, runs what is new, keeps the
 * actor awake while it works and lets it sleep while it only waits, with the
 * actor's alarm set to wake it again (for a timer, or at once after a crash).
 */
export class WorkflowEngine {
	readonly host: RunHost;
	readonly journal: Journal;
	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	readonly #onError: WorkflowOptions<any, any, any, any, any, any, any>["onError"];
	/** Pending durable waits, with their deadlines. */
	readonly #waits = new Map<number, number | undefined>();
	#nextWait = 1;
	#steps = 0;
	#busySince: number | undefined;
	/** Set once the actor stops or the workflow ended: idleness and alarm stay as they are. */
	#frozen = false;
	/** Messages received with `completable: true` before a restart, leased again. */
	readonly leased = new Map<string, { complete(response?: unknown): Promise<void> }>();
	/** Set when the code stopped on a code error (see {@link isCodeError}). */
	halted: WorkflowErrorInfo | undefined;
	/**
	 * The life before this one ran steps and did not stop gracefully (its mark
	 * is still stored): it crashed, maybe in a step. Every attempt of this life
	 * is careful (see {@link beginAttempt}).
	 */
	readonly afterCrash: boolean;
	/** This life's mark is written. */
	#lifeMarked = false;
	/** Unregisters the mark's clearing at the stop (the workflow ended first). */
	#unregisterClear: (() => void) | undefined;
	/** ... and durable: attempts of a clean life run at once from then on. */
	#markDurable = false;

	/** The actor's logger for the engine's own lines (module `workflow`). */
	readonly #log: Logger;
	/** The compensations known in this life (see rollback.ts). */
	readonly compensations = new CompensationRegistry();

	private constructor(
		host: RunHost,
		journal: Journal,
		// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
		options: WorkflowOptions<any, any, any, any, any, any, any>,
	) {
		this.host = host;
		this.#log = moduleLogger(host.log, "workflow");
		this.journal = journal;
		this.#onError = options.onError;
		this.afterCrash = journal.lifeMarked;
	}

	get workflowId(): string {
		return this.host.actorId;
	}

	get evicted(): AbortSignal {
		return this.host.abortSignal;
	}

	now(): number {
		return this.host.clock.now();
	}

	/** The actor context steps run with. */
	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	get stepContext(): ActorContext<any, any, any, any, any, any, any> {
		return this.host.context;
	}

	/** Loads the journal and runs the workflow to its end or until the actor stops. */
	static async run(
		host: RunHost,
		fn: WorkflowFunction,
		// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
		options: WorkflowOptions<any, any, any, any, any, any, any>,
	): Promise<void> {
		const journal = await Journal.load(host.storage);
		const engine = new WorkflowEngine(host, journal, options);
		await engine.#run(fn);
	}

	// ---- Idleness and alarm ------------------------------------------------------

	/** Registers a durable wait (the actor may sleep while only waits are pending). */
	beginWait(deadline: number | undefined): () => void {
		const id = this.#nextWait++;
		this.#waits.set(id, deadline);
		this.#refresh();
		return () => {
			this.#waits.delete(id);
			this.#refresh();
		};
	}

	#refresh(): void {
		if (this.#frozen) return;
		const idle = this.#steps === 0 && this.#waits.size > 0;
		let wakeAt: number | undefined;
		if (idle) {
			this.#busySince = undefined;
			for (const deadline of this.#waits.values()) {
				if (deadline !== undefined && (wakeAt === undefined || deadline < wakeAt))
					wakeAt = deadline;
			}
		} else {
			// Working: if the process dies now, wake the actor as soon as it restarts.
			this.#busySince ??= this.now();
			wakeAt = this.#busySince;
		}
		this.host.setIdle(idle);
		this.host.setWakeAt(wakeAt);
	}

	#freeze(): void {
		this.#frozen = true;
	}

	// ---- Careful attempts -----------------------------------------------------------

	/**
	 * A step's attempt is about to run: returns the entry to go on with.
	 * Careful attempts are journaled as `running` and made durable before
	 * they run: every attempt of a life after a crash, and the first attempt
	 * of each life (it makes the life's mark durable with it). Found `running`
	 * after a crash, the attempt counts as one the process died in, so a step
	 * that kills the process (an allocation sized from its input, a native
	 * fault) fails after its retries instead of killing every start for good
	 * (it did, with its attempts never counted; a review, 2026-11-26). The
	 * other attempts of a clean life cost no commit of their own.
	 */
	async beginAttempt(
		path: readonly number[],
		entry: JournalEntry,
		attempt: number,
	): Promise<JournalEntry> {
		if (!this.#careful) {
			await this.#boundaryDurable();
			return entry;
		}
		const { retryAt: _retryAt, ...rest } = entry;
		const running: JournalEntry = { ...rest, status: "running", attempts: attempt };
		this.journal.put(path, running);
		await this.makeDurable();
		return running;
	}

	/**
	 * What came before an attempt (the previous step's result, a message
	 * received) is durable before its code runs, as before an output: a step
	 * ran its side effects (a charge) while the step before it (a reservation)
	 * was not journaled yet, and a kill then re-ran the reservation and lost
	 * every trace of the charge (a workflows walkthrough, 2026-11-28). Nothing
	 * to wait for costs nothing; in relaxed durability nothing is waited for.
	 */
	async #boundaryDurable(): Promise<void> {
		if (this.evicted.aborted) throw new EvictedError();
		try {
			await this.host.writesDurable();
		} catch (error) {
			throw this.evicted.aborted ? new EvictedError() : error;
		}
	}

	/**
	 * User code that may kill the process is about to run in a careful life
	 * (see {@link beginAttempt}): in a life after a crash, or before this
	 * life's mark is durable.
	 */
	get #careful(): boolean {
		return this.afterCrash || !this.#markDurable;
	}

	/**
	 * @internal Makes this life's mark, and every journal write so far, durable. Never
	 * once the actor began to stop: its stop clears the mark (right before its
	 * final commit), and a mark written again after that made the next life
	 * one after a crash (a review, 2026-11-26).
	 */
	async makeDurable(): Promise<void> {
		if (this.evicted.aborted) throw new EvictedError();
		if (!this.#lifeMarked) {
			this.#lifeMarked = true;
			this.journal.markLife(true);
		}
		try {
			await this.host.persist();
		} catch (error) {
			// The commit failed: the actor resets, and this run ends with it.
			throw this.evicted.aborted ? new EvictedError() : error;
		}
		this.#markDurable = true;
	}

	/** A graceful stop or the workflow's end: the next life is no life after a crash. */
	#clearLife(): void {
		if (!this.#lifeMarked && !this.afterCrash) return;
		this.#lifeMarked = false;
		this.#markDurable = false;
		this.journal.markLife(false);
	}

	// ---- Helpers for the primitives ----------------------------------------------------

	/** A durable timer until `deadline`: rejects if the actor stops or `signal` aborts. */
	delayUntil(deadline: number, signal: AbortSignal): Promise<void> {
		const end = this.beginWait(deadline);
		const clock = this.host.clock;
		const evicted = this.evicted;
		return new Promise<void>((resolve, reject) => {
			const onAbort = () => {
				cleanup();
				reject(evicted.aborted ? new EvictedError() : signal.reason);
			};
			const timer = clock.setTimeout(
				() => {
					cleanup();
					resolve();
				},
				Math.max(0, deadline - clock.now()),
			);
			const cleanup = () => {
				clock.clearTimeout(timer);
				signal.removeEventListener("abort", onAbort);
				evicted.removeEventListener("abort", onAbort);
			};
			if (signal.aborted || evicted.aborted) {
				onAbort();
				return;
			}
			signal.addEventListener("abort", onAbort, { once: true });
			evicted.addEventListener("abort", onAbort, { once: true });
		}).finally(end);
	}

	/**
	 * Runs `fn` as a turn of the actor (its writes commit together, with the
	 * journal write `onSuccess` makes), counted as work that keeps the actor awake.
	 */
	runInStep<T>(fn: () => T | Promise<T>, options: InStepOptions<T>): Promise<Awaited<T>> {
		this.#steps++;
		this.#refresh();
		const unmark = options.mark?.();
		let settled = false;
		const work = callAsync(() => runUserCode(this, options.label, fn)).then((value) => {
			if (!settled) options.onSuccess?.(value as Awaited<T>);
			return value as Awaited<T>;
		});
		const timeout = options.timeoutMs;
		const raced =
			timeout !== undefined && Number.isFinite(timeout)
				? withTimeout(work, this.host.clock, timeout, options.onTimeout ?? (() => undefined))
				: work;
		// A timed-out attempt may still fail later: nobody waits for it any more.
		work.catch(() => {});
		return this.host.track(
			raced.finally(() => {
				settled = true;
				unmark?.();
				this.#steps--;
				this.#refresh();
			}),
		);
	}

	/**
	 * Runs one attempt of a step or a compensation as {@link runInStep}, with a
	 * context of its own: `c.attempt`, and a `c.abortSignal` aborted when the
	 * attempt times out or `signal` aborts (its branch lost a race, the actor
	 * stops), so the work it started (a `fetch`) can stop with it rather than
	 * run on beside the next attempt. It follows `signal` after the attempt
	 * too: work the attempt left running (`c.waitUntil`) stops with the actor,
	 * as it did on the actor's signal (a review). `AbortSignal.any` holds its
	 * sources' links weakly: a million steps leave nothing on `signal`
	 * (measured on Node 20: no heap growth after 1,000,000 such signals).
	 */
	runAttempt<T>(
		attempt: number,
		signal: AbortSignal,
		// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
		fn: (c: ActorContext<any, any, any, any, any, any, any>) => T | Promise<T>,
		options: InStepOptions<T>,
	): Promise<Awaited<T>> {
		const timedOut = new AbortController();
		const c = this.host.attemptContext(attempt, AbortSignal.any([signal, timedOut.signal]));
		const onTimeout = options.onTimeout;
		return this.runInStep(() => fn(c), {
			...options,
			onTimeout: () => {
				const error = onTimeout?.();
				timedOut.abort(error);
				return error;
			},
		});
	}

	/**
	 * Calls `onError` (observational: its own failure is only logged). The
	 * failure it reports is made durable first, so a hook that kills the
	 * process hears each failure at most once, and the run moves on at the
	 * next start: before 2026-11-26 the failure was lost with the process,
	 * and the next start repeated it, the hook and the crash, at every start.
	 * Costs a commit per failure reported, only with a hook. While the actor
	 * stops, the hook runs without that commit (a review, 2026-11-26: it was
	 * skipped, and its commit wrote the life mark again after the stop cleared
	 * it, which made the next life one after a crash).
	 */
	async report(event: WorkflowErrorEvent): Promise<void> {
		const hook = this.#onError;
		if (!hook) return;
		// Stopping: the hook runs as it did, its failure and writes in a later commit (the
		// stop's final one at the latest), and the life mark the stop clears is not written again.
		if (!this.evicted.aborted) {
			try {
				await this.makeDurable();
			} catch {
				// The commit failed: the actor resets (which aborts the signal too), and this run
				// ends with it. The failure was not stored, so the hook does not hear it (a review).
				return;
			}
		}
		try {
			// A hook that never settles must not keep the workflow (and the actor) waiting.
			const timeoutMs = STEP_DEFAULTS.timeout;
			await this.runInStep(() => hook(this.stepContext, event), {
				label: "the onError hook",
				timeoutMs,
				onTimeout: () => new Error(`the onError hook took longer than ${timeoutMs} ms`),
			});
		} catch (error) {
			this.#log.warn("workflow onError hook threw", { error });
		}
	}

	/** Runs the compensations of `frame`: see {@link compensate}. */
	compensate(frame: RollbackFrame): Promise<void> {
		return compensate(this, frame);
	}

	// ---- The run ----------------------------------------------------------------------

	#leaseReceivedMessages(): void {
		for (const id of uncompletedMessageIds(this.journal.all())) {
			const view = this.host.queue.lease(id);
			if (view) this.leased.set(id, view);
		}
		// What it received in earlier lives and its journal does not list goes back.
		this.host.queue.restored();
	}

	#setStatus(status: JournalStatus): void {
		try {
			this.journal.setStatus(status);
		} catch (error) {
			// The result cannot be stored: record the failure instead.
			this.journal.setStatus({
				v: 1,
				status: "failed",
				startedAt: status.startedAt,
				finishedAt: this.now(),
				error: errorInfo(error),
			});
		}
	}

	async #run(fn: WorkflowFunction): Promise<void> {
		const log = this.#log;
		const existing = this.journal.status;
		if (existing?.status === "completed" || existing?.status === "failed") {
			this.#end();
			return;
		}
		if (this.evicted.aborted) return;
		this.evicted.addEventListener("abort", () => this.#freeze(), { once: true });
		// Cleared with a graceful stop's final commit, not at its start: steps may still run
		// in its grace period, and a crash then must find the mark (a review).
		this.#unregisterClear = this.host.beforeFinalCommit(() => this.#clearLife());
		this.#leaseReceivedMessages();
		const startedAt = existing?.startedAt ?? this.now();
		if (existing === undefined) this.#setStatus({ v: 1, status: "running", startedAt });
		this.journal.setHalted(undefined);
		this.#refresh();
		const frame = new RollbackFrame(undefined, []);
		const root = new Scope(this.journal, [], "", this.evicted, this.evicted, frame);
		const ctx = new WorkflowContextImpl(this, root, undefined);
		try {
			const output = await fn(ctx);
			root.finish();
			this.#setStatus({
				v: 1,
				status: "completed",
				startedAt,
				finishedAt: this.now(),
				output: this.host.toRaw(output),
			});
			this.journal.clearHaltReported();
			log.info("workflow completed");
		} catch (error) {
			const stopping = this.evicted.aborted || error instanceof EvictedError;
			if (isCodeError(error) || (!stopping && isControlError(error))) {
				await this.#halt(error, stopping);
				return;
			}
			if (stopping) return;
			let failure = error;
			try {
				await this.compensate(frame);
			} catch (rollbackError) {
				if (this.evicted.aborted || rollbackError instanceof EvictedError) return;
				// A compensation's code misused the API: a halt, as the run's own code's, so a
				// deploy that fixes it rolls back again (it failed the workflow for good).
				if (isCodeError(rollbackError)) {
					await this.#halt(rollbackError, false);
					return;
				}
				failure = rollbackError;
			}
			const info = errorInfo(failure);
			this.#setStatus({ v: 1, status: "failed", startedAt, finishedAt: this.now(), error: info });
			this.journal.clearHaltReported();
			log.warn("workflow failed", { error: info.message });
			this.host.failed?.();
			await this.report({ workflow: { workflowId: this.workflowId, error: info } });
		}
		this.#releaseUncompleted();
		this.#end();
	}

	/**
	 * The run stopped at a code error. Recorded even while the actor stops (a
	 * step that finished in the grace period): it goes out with the stop's final
	 * commit; before, the run read `running`, with no error, until its next wake.
	 */
	async #halt(error: unknown, stopping: boolean): Promise<void> {
		const halt = errorInfo(error);
		this.halted = halt;
		this.journal.setHalted(halt);
		this.#log.error("workflow stopped: its code does not match its journal or misuses the API", {
			error,
		});
		if (stopping) return;
		// Once per distinct halt: a halted run halts again at every wake until its code is fixed.
		if (this.#onError !== undefined && !sameHalt(this.journal.haltReported, halt)) {
			this.journal.setHaltReported(halt);
			await this.report({ workflow: { workflowId: this.workflowId, error: halt } });
		}
		this.#end();
	}

	/** The workflow completed or failed: the messages it received and never completed go back. */
	#releaseUncompleted(): void {
		// What this run holds (received or taken over, not completed), and what the journal
		// lists: a loop prunes its finished iterations, with the messages they received.
		const ids = new Set([...this.leased.keys(), ...uncompletedMessageIds(this.journal.all())]);
		if (ids.size > 0) this.host.queue.release([...ids]);
	}

	/** The workflow ended (or stopped): it no longer keeps the actor awake or sets its alarm. */
	#end(): void {
		if (this.#frozen) return;
		this.#unregisterClear?.();
		this.#clearLife();
		this.host.setIdle(true);
		this.host.setWakeAt(undefined);
		this.#freeze();
	}
}
