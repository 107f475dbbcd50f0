import type { Clock, TimerHandle } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import { callAsync } from "../common/timeouts.js";

/** The first restart delay after a `run` handler failed (ms); it doubles per failure in a row. */
export const RUN_RESTART_MIN_MS = 1_000;
/** The longest restart delay (ms). */
export const RUN_RESTART_MAX_MS = 30_000;
/** A run that lasted this long before failing starts the backoff over (ms). */
const HEALTHY_RUN_MS = 60_000;

/** What a run loop needs from its actor. */
export interface RunLoopDeps<C> {
	/** The actor's `run` handler. */
	run: (context: C) => unknown;
	clock: Clock;
	log: Logger;
	/** Aborted when the actor stops: the handler ends and is not restarted. */
	abortSignal: AbortSignal;
	/**
	 * A fresh context for one run of the handler. `signal` is given when the
	 * loop is haltable: it aborts when the actor stops or {@link RunLoop.halt} is called.
	 */
	createContext(signal: AbortSignal | undefined): C;
	/** Each run gets its own abort signal, so the handler can be halted while the actor stays awake. */
	haltable?: boolean;
	/** The handler failed: release what it held (its queue leases) before it restarts. */
	onFailed(): void;
	/**
	 * Grows as the handler gets work done (queue messages completed): a run
	 * that made progress before it failed starts the backoff over, as a long
	 * one does. A message that makes the handler fail is held back on its own
	 * (QueueLeases.releaseHolder); the handler must not wait longer and
	 * longer for the others.
	 */
	progress?(): number;
	/** The handler settled, or a restart is due: idleness may have changed. */
	onChange(): void;
}

/**
 * Runs an actor's `run` handler after every wake and restarts it, with
 * exponential backoff (1 s doubling to 30 s), when it fails: one failure
 * (say, a message its code cannot handle) must not stop the actor's
 * background work until the next wake. A handler that returns normally is
 * done until the next wake. While it runs or waits to restart, it is active.
 */
export class RunLoop<C> {
	readonly #deps: RunLoopDeps<C>;
	#active = false;
	#failures = 0;
	#restart: TimerHandle | undefined;
	/** The running handler's halt: aborts its signal; settled resolves once it returned or failed. */
	#current: { halt: AbortController; settled: Promise<void> } | undefined;

	constructor(deps: RunLoopDeps<C>) {
		this.#deps = deps;
	}

	/** True while the handler runs, or waits to be restarted. */
	get active(): boolean {
		return this.#active;
	}

	/** Consecutive failures so far (0 once a run lasted a minute). */
	get failures(): number {
		return this.#failures;
	}

	/** Starts the handler (once per wake, and again after {@link halt}). */
	start(): void {
		this.#active = true;
		const deps = this.#deps;
		const startedAt = deps.clock.now();
		const progressAtStart = deps.progress?.() ?? 0;
		const halt = deps.haltable ? linkedController(deps.abortSignal) : undefined;
		const settled = callAsync(() => deps.run(deps.createContext(halt?.signal))).then(
			() => this.#ended(),
			(error: unknown) => {
				if (deps.abortSignal.aborted || halt?.signal.aborted) {
					this.#ended();
					return;
				}
				if (
					deps.clock.now() - startedAt >= HEALTHY_RUN_MS ||
					(deps.progress?.() ?? 0) > progressAtStart
				)
					this.#failures = 0;
				this.#failures++;
				const delay = Math.min(RUN_RESTART_MAX_MS, RUN_RESTART_MIN_MS * 2 ** (this.#failures - 1));
				deps.log.error("run handler failed; restarting it", {
					error,
					failures: this.#failures,
					restartInMs: delay,
				});
				deps.onFailed();
				this.#restart = deps.clock.setTimeout(() => {
					this.#restart = undefined;
					if (deps.abortSignal.aborted) this.#ended();
					else this.start();
				}, delay);
				deps.onChange();
			},
		);
		if (halt) {
			const current = { halt, settled };
			this.#current = current;
			void settled.finally(() => {
				halt.dispose();
				if (this.#current === current) this.#current = undefined;
			});
		}
	}

	/**
	 * Stops the handler while the actor stays awake: its signal aborts, a
	 * pending restart is cancelled, and this resolves once the handler has
	 * returned (work it was doing, such as a step in flight, finishes first).
	 * The loop is then inactive until {@link start}. Only for haltable loops.
	 */
	async halt(): Promise<void> {
		if (!this.#deps.haltable) throw new Error("this run loop cannot be halted");
		if (this.#restart !== undefined) this.stop();
		const current = this.#current;
		if (current === undefined) return;
		current.halt.abort(new Error("the run was halted"));
		await current.settled;
	}

	#ended(): void {
		this.#active = false;
		this.#deps.onChange();
	}

	/** The actor stops: a pending restart is cancelled. */
	stop(): void {
		if (this.#restart === undefined) return;
		this.#deps.clock.clearTimeout(this.#restart);
		this.#restart = undefined;
		this.#ended();
	}
}

/** An AbortController that also aborts when `parent` does, and lets go of `parent` once disposed. */
function linkedController(parent: AbortSignal): AbortController & { dispose(): void } {
	const controller = new AbortController() as AbortController & { dispose(): void };
	const onAbort = () => controller.abort(parent.reason);
	if (parent.aborted) onAbort();
	else parent.addEventListener("abort", onAbort, { once: true });
	controller.dispose = () => parent.removeEventListener("abort", onAbort);
	return controller;
}
