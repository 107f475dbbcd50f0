import type { Clock } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import type { SleepEntry, SleepScheduler } from "./sleep-scheduler.js";

/** What an actor's activity tracker needs from it. */
export interface ActivityDeps {
	clock: Clock;
	/** The host's sleep countdowns (one timer for all its actors). */
	sleeps: SleepScheduler;
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
export class ActorActivity implements SleepEntry {
	readonly #deps: ActivityDeps;
	/** When the sleep countdown ends, while it runs (the scheduler's field). */
	sleepAt = 0;
	/** The countdown's place in the host's scheduler; -1: no countdown (the scheduler's field). */
	sleepSlot = -1;
	#activeTurns = 0;
	#keepAwake = 0;
	/** Waits that keep the actor from sleeping but not a stop (see holdAwake). */
	#holds = 0;
	/** Made on the first waitUntil. */
	#waitUntil: Set<Promise<unknown>> | undefined;
	#lastActiveAt: number;
	#idleSince = 0;
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

	/** A turn that settled as it ran: counted as {@link track} counts one, at once. */
	ranNow(): void {
		this.#lastActiveAt = this.#deps.clock.now();
		this.#deps.onSettled();
		this.#onQuiet?.();
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

	/**
	 * Keeps the actor from sleeping until `promise` settles, but a stop does
	 * not wait for it: a wait, not work (a sender waiting for its message's
	 * completion, answered when the actor stops). As `keepAwake`, a stop
	 * waited its whole grace period for one (2026-11-26).
	 */
	holdAwake<T>(promise: Promise<T>): Promise<T> {
		this.#holds++;
		return promise.finally(() => {
			this.#holds--;
			this.maybeIdle();
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

	/** Idle: no turn, no `keepAwake` or `holdAwake`, and nothing else keeps the actor awake. */
	isIdle(): boolean {
		return (
			this.#activeTurns === 0 &&
			this.#keepAwake === 0 &&
			this.#holds === 0 &&
			this.#deps.othersIdle()
		);
	}

	/** Starts the sleep countdown if the actor is idle now. */
	maybeIdle(): void {
		if (this.#deps.noSleep || !this.isIdle()) return;
		this.#idleSince = this.#deps.clock.now();
		if (this.sleepSlot < 0)
			this.#deps.sleeps.schedule(this, this.#idleSince + this.#deps.sleepTimeout);
	}

	/** The sleep countdown ended: the actor sleeps if it stayed idle all along, else counts again. */
	sleepDue(): void {
		if (!this.isIdle()) return;
		const sleepAt = this.#idleSince + this.#deps.sleepTimeout;
		if (sleepAt > this.#deps.clock.now()) this.#deps.sleeps.schedule(this, sleepAt);
		else this.#deps.sleep();
	}

	/** No more sleep countdown (the actor is stopping). */
	stopTimer(): void {
		this.#deps.sleeps.cancel(this);
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
