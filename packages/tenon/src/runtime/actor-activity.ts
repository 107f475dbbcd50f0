import type { Clock, TimerHandle } from "../common/clock.js";
import type { Logger } from "../common/logger.js";

/** What an actor's activity tracker needs from it. */
export interface ActivityDeps {
	clock: Clock;
	/** The actor's logger (made on first use). */
	log(): Logger;
	/** The idle time after which the actor sleeps (ms). */
	sleepTimeout: number;
	noSleep: boolean;
	/** Nothing this tracker does not count keeps the actor awake (status, connections, `run`, unsaved writes). */
	othersIdle(): boolean;
	/** A tracked unit of work settled: end-of-turn work runs. */
	onSettled(): void;
	/** The sleep timeout passed with the actor idle all along. */
	sleep(): void;
}

/**
 * The work in flight on one awake actor (turns, `keepAwake` and `waitUntil`
 * promises) and the sleep timer it drives: the actor sleeps once nothing has
 * run for `sleepTimeout`, and a stop waits for this work to settle (up to a
 * grace period).
 */
export class ActorActivity {
	readonly #deps: ActivityDeps;
	#activeTurns = 0;
	#keepAwake = 0;
	/** Made on the first waitUntil. */
	#waitUntil: Set<Promise<unknown>> | undefined;
	#lastActiveAt: number;
	#idleSince = 0;
	#sleepTimer: TimerHandle | undefined;
	/** Set while draining: called whenever a unit of work settles. */
	#onQuiet: (() => void) | undefined;

	constructor(deps: ActivityDeps) {
		this.#deps = deps;
		this.#lastActiveAt = deps.clock.now();
	}

	/** Turns running now. */
	get activeTurns(): number {
		return this.#activeTurns;
	}

	/** When the actor last started a unit of work (for least-recently-used eviction). */
	get lastActiveAt(): number {
		return this.#lastActiveAt;
	}

	/** A turn or a `keepAwake` promise is running. */
	get working(): boolean {
		return this.#activeTurns > 0 || this.#keepAwake > 0;
	}

	/** Counts `promise` as a turn until it settles. */
	track<T>(promise: Promise<T>): Promise<T> {
		this.#activeTurns++;
		this.#lastActiveAt = this.#deps.clock.now();
		const settle = () => {
			this.#activeTurns--;
			this.#deps.onSettled();
			this.#onQuiet?.();
		};
		promise.then(settle, settle);
		return promise;
	}

	/** Keeps the actor awake (and counted as busy) until `promise` settles. */
	keepAwake<T>(promise: Promise<T>): Promise<T> {
		this.#keepAwake++;
		return promise.finally(() => {
			this.#keepAwake--;
			this.maybeIdle();
			this.#onQuiet?.();
		});
	}

	/** Work a stop waits for (within its grace period) without keeping the actor awake. */
	waitUntil(promise: Promise<unknown>): void {
		const tracked = promise.then(
			() => undefined,
			(error: unknown) => this.#deps.log().warn("waitUntil promise rejected", { error }),
		);
		this.#waitUntil ??= new Set();
		this.#waitUntil.add(tracked);
		void tracked.finally(() => {
			this.#waitUntil?.delete(tracked);
			this.#onQuiet?.();
		});
	}

	/** Something a drain waits for (the `run` loop) changed. */
	changed(): void {
		this.#onQuiet?.();
	}

	/** Idle: no turn, no `keepAwake`, and nothing else keeps the actor awake. */
	isIdle(): boolean {
		return this.#activeTurns === 0 && this.#keepAwake === 0 && this.#deps.othersIdle();
	}

	/** Starts the sleep countdown if the actor is idle now. */
	maybeIdle(): void {
		if (this.#deps.noSleep || !this.isIdle()) return;
		this.#idleSince = this.#deps.clock.now();
		if (this.#sleepTimer === undefined) this.#armSleepTimer(this.#deps.sleepTimeout);
	}

	#armSleepTimer(ms: number): void {
		this.#sleepTimer = this.#deps.clock.setTimeout(() => {
			this.#sleepTimer = undefined;
			if (!this.isIdle()) return;
			const idleFor = this.#deps.clock.now() - this.#idleSince;
			const remaining = this.#deps.sleepTimeout - idleFor;
			if (remaining > 0) this.#armSleepTimer(remaining);
			else this.#deps.sleep();
		}, ms);
	}

	/** No more sleep countdown (the actor is stopping). */
	stopTimer(): void {
		if (this.#sleepTimer !== undefined) this.#deps.clock.clearTimeout(this.#sleepTimer);
		this.#sleepTimer = undefined;
	}

	/** Nothing in flight: turns, `keepAwake` and `waitUntil` promises, and `runActive()`. */
	#isQuiet(runActive: () => boolean): boolean {
		return (
			this.#activeTurns === 0 &&
			this.#keepAwake === 0 &&
			(this.#waitUntil?.size ?? 0) === 0 &&
			!runActive()
		);
	}

	/** Waits until no work is in flight, or `graceMs` passes. */
	async drain(graceMs: number, runActive: () => boolean): Promise<void> {
		if (this.#isQuiet(runActive)) return;
		await new Promise<void>((resolve) => {
			const finish = () => {
				this.#deps.clock.clearTimeout(timer);
				this.#onQuiet = undefined;
				resolve();
			};
			const timer = this.#deps.clock.setTimeout(() => {
				this.#deps.log().warn("sleep grace period ended with work still running", {
					activeTurns: this.#activeTurns,
					run: runActive(),
				});
				finish();
			}, graceMs);
			this.#onQuiet = () => {
				if (this.#isQuiet(runActive)) finish();
			};
		});
	}
}
