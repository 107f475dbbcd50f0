import type { Clock, TimerHandle } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import type { AlarmIndex } from "../storage/interfaces.js";

/** What the scheduler needs from the actor host. */
export interface AlarmTarget {
	/** True when the actor is awake (it then fires its own timers). */
	isAwake(actorId: string): boolean;
	/** Wakes a sleeping actor so it fires its due timers. */
	wake(actorId: string): Promise<void>;
}

/** How many due actors one pass wakes. */
const BATCH = 256;
/** Retry delay when due alarms did not move (an actor failed to wake). */
const RETRY_MS = 1_000;

/**
 * Wakes sleeping actors whose alarm (earliest timer) is due. Awake actors run
 * their own timers; this only covers the sleeping ones, including alarms that
 * came due while the server was down.
 */
export class AlarmScheduler {
	readonly #alarms: AlarmIndex;
	readonly #clock: Clock;
	readonly #target: AlarmTarget;
	readonly #log: Logger;
	#timer: TimerHandle | undefined;
	#armedAt: number | undefined;
	#passing = false;
	#again = false;
	#stopped = false;
	readonly #waking = new Set<string>();

	constructor(alarms: AlarmIndex, clock: Clock, target: AlarmTarget, log: Logger) {
		this.#alarms = alarms;
		this.#clock = clock;
		this.#target = target;
		this.#log = log;
	}

	/** Arms for the earliest stored alarm. */
	async start(): Promise<void> {
		const next = await this.#alarms.next();
		if (next !== undefined) this.#arm(next.at);
	}

	/** An actor's committed alarm changed. */
	notify(at: number | null): void {
		if (at === null || this.#stopped) return;
		if (this.#armedAt === undefined || at < this.#armedAt) this.#arm(at);
	}

	stop(): void {
		this.#stopped = true;
		if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
		this.#timer = undefined;
	}

	#arm(at: number): void {
		if (this.#stopped) return;
		if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
		this.#armedAt = at;
		this.#timer = this.#clock.setTimeout(
			() => {
				this.#timer = undefined;
				this.#armedAt = undefined;
				void this.#pass();
			},
			Math.max(0, at - this.#clock.now()),
		);
	}

	async #pass(): Promise<void> {
		if (this.#passing) {
			this.#again = true;
			return;
		}
		this.#passing = true;
		try {
			const now = this.#clock.now();
			const due = await this.#alarms.due(now, BATCH);
			for (const { actorId } of due) {
				if (this.#target.isAwake(actorId) || this.#waking.has(actorId)) continue;
				this.#waking.add(actorId);
				void this.#target
					.wake(actorId)
					.catch((error: unknown) =>
						this.#log.warn("could not wake an actor for its alarm", { actorId, error }),
					)
					.finally(() => this.#waking.delete(actorId));
			}
			const next = await this.#alarms.next();
			if (next !== undefined) {
				// Alarms still due were handed to actors (or failed): look again later,
				// rather than spinning, in case they do not move.
				this.#arm(next.at <= now ? now + (due.length >= BATCH ? 0 : RETRY_MS) : next.at);
			}
		} catch (error) {
			this.#log.error("alarm pass failed", { error });
			this.#arm(this.#clock.now() + RETRY_MS);
		} finally {
			this.#passing = false;
			if (this.#again) {
				this.#again = false;
				void this.#pass();
			}
		}
	}
}
