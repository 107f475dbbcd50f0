import type { Clock, TimerHandle } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import { type AlarmIndex, type DueAlarm, OwnedElsewhereError } from "../storage/interfaces.js";

/** What the scheduler needs from the actor host. */
export interface AlarmTarget {
	/** True when the actor is awake (it then fires its own timers). */
	isAwake(actorId: string): boolean;
	/** Wakes a sleeping actor so it fires its due timers. */
	wake(actorId: string): Promise<void>;
}

/** Due alarms read per page. */
const PAGE = 256;
/** How many actors wake at once during a pass. */
const WAKE_CONCURRENCY = 64;
/** When to look again after waking actors, in case an alarm did not move (a wake failed). */
const RETRY_MS = 1_000;

/**
 * Wakes sleeping actors whose alarm (earliest timer) is due. Awake actors run
 * their own timers; this only covers the sleeping ones, including alarms that
 * came due while the server was down. A pass pages through every due alarm
 * and skips awake actors (their alarm may stay in the past while they work,
 * e.g. a workflow running), so they neither block the others nor make the
 * scheduler spin; when such an actor sleeps its final commit sets its alarm again.
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

	readonly #pollMs: number | undefined;

	/**
	 * @param pollMs in a cluster, look at the shared alarm index at least this
	 * often: other nodes' alarms (e.g. of a node that died) are not announced here.
	 */
	constructor(alarms: AlarmIndex, clock: Clock, target: AlarmTarget, log: Logger, pollMs?: number) {
		this.#alarms = alarms;
		this.#clock = clock;
		this.#target = target;
		this.#log = log;
		this.#pollMs = pollMs;
	}

	/** Arms for the earliest stored alarm. */
	async start(): Promise<void> {
		const next = await this.#alarms.next();
		if (next !== undefined) this.#arm(next.at);
		else if (this.#pollMs !== undefined) this.#arm(this.#clock.now() + this.#pollMs);
	}

	/** An actor's committed alarm changed. */
	notify(at: number | null): void {
		if (at === null || this.#stopped) return;
		if (this.#armedAt === undefined || at < this.#armedAt) this.#arm(at);
	}

	#wake(actorId: string): Promise<void> {
		this.#waking.add(actorId);
		return this.#target
			.wake(actorId)
			.catch((error: unknown) => {
				// In a cluster, another node owning the actor fires its alarms.
				if (error instanceof OwnedElsewhereError) return;
				this.#log.warn("could not wake an actor for its alarm", { actorId, error });
			})
			.finally(() => this.#waking.delete(actorId));
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
			const sleeping: string[] = [];
			let cursor: DueAlarm | undefined;
			for (;;) {
				const page = await this.#alarms.due(now, PAGE, cursor);
				for (const { actorId } of page) {
					if (!this.#target.isAwake(actorId) && !this.#waking.has(actorId)) sleeping.push(actorId);
				}
				if (page.length < PAGE) break;
				cursor = page[page.length - 1];
			}
			for (let i = 0; i < sleeping.length && !this.#stopped; i += WAKE_CONCURRENCY) {
				await Promise.all(sleeping.slice(i, i + WAKE_CONCURRENCY).map((id) => this.#wake(id)));
			}
			const next = await this.#alarms.next(now);
			const candidates = [
				next?.at,
				sleeping.length > 0 ? now + RETRY_MS : undefined,
				this.#pollMs === undefined ? undefined : now + this.#pollMs,
			].filter((at): at is number => at !== undefined);
			if (candidates.length > 0) this.#arm(Math.min(...candidates));
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
