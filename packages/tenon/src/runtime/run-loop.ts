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
	/** A fresh context for one run of the handler. */
	createContext(): C;
	/** The handler failed: release what it held (its queue leases) before it restarts. */
	onFailed(): void;
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

	/** Starts the handler (once per wake). */
	start(): void {
		this.#active = true;
		const deps = this.#deps;
		const startedAt = deps.clock.now();
		void callAsync(() => deps.run(deps.createContext())).then(
			() => this.#ended(),
			(error: unknown) => {
				if (deps.abortSignal.aborted) {
					this.#ended();
					return;
				}
				if (deps.clock.now() - startedAt >= HEALTHY_RUN_MS) this.#failures = 0;
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
