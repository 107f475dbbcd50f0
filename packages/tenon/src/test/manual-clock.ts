import type { Clock, TimerHandle } from "../common/clock.js";

interface ManualTimer {
	id: number;
	at: number;
	callback: () => void;
}

/** Lets pending promise callbacks and I/O run. */
function turn(): Promise<void> {
	return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock that only moves when told to. Timers fire in due order during
 * {@link ManualClock.advance}, so tests exercise sleep timeouts, action
 * timeouts and (later) schedules without waiting.
 */
export class ManualClock implements Clock {
	#now: number;
	#nextId = 1;
	#timers: ManualTimer[] = [];

	constructor(startAt: number = Date.now()) {
		this.#now = startAt;
	}

	now(): number {
		return this.#now;
	}

	setTimeout(callback: () => void, ms: number): TimerHandle {
		const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), callback };
		this.#timers.push(timer);
		return timer.id as unknown as TimerHandle;
	}

	clearTimeout(handle: TimerHandle): void {
		const id = handle as unknown as number;
		this.#timers = this.#timers.filter((timer) => timer.id !== id);
	}

	/** Number of pending timers. */
	get pendingTimers(): number {
		return this.#timers.length;
	}

	/**
	 * Moves time forward by `ms`, firing every timer that comes due, earliest
	 * first (ties in creation order), letting async work run between them.
	 */
	async advance(ms: number): Promise<void> {
		const target = this.#now + ms;
		for (;;) {
			let next: ManualTimer | undefined;
			for (const timer of this.#timers) {
				if (
					timer.at <= target &&
					(next === undefined || timer.at < next.at || (timer.at === next.at && timer.id < next.id))
				) {
					next = timer;
				}
			}
			if (next === undefined) break;
			this.#timers = this.#timers.filter((timer) => timer !== next);
			this.#now = Math.max(this.#now, next.at);
			next.callback();
			await turn();
		}
		this.#now = target;
		await turn();
	}
}
