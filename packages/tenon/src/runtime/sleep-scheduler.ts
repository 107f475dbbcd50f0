import type { Clock, TimerHandle } from "../common/clock.js";

/**
 * Something the {@link SleepScheduler} fires once its deadline passed (an
 * awake actor's idle countdown). Its two fields belong to the scheduler: the
 * entry keeps them so that scheduling one needs no object of its own.
 */
export interface SleepEntry {
	/** When the entry is due (ms since the epoch), while it is scheduled. */
	sleepAt: number;
	/** Its index in the scheduler's heap; -1 while not scheduled. */
	sleepSlot: number;
	/** Its deadline passed (it is no longer scheduled). */
	sleepDue(): void;
}

/**
 * The sleep countdowns of every awake actor on a host, on one timer: a
 * min-heap of entries keyed by their deadline, and one clock timer set for the
 * earliest. A Node `Timeout` per actor was its largest object while idle
 * (about 250 bytes with its callback); here an actor costs its heap slot.
 *
 * An entry fires in the timer callback of the first timer that runs at or
 * after its deadline: no earlier, and no later than a timer of its own would
 * (the clock's timers are unref'd, so this one never holds the process open).
 * Entries due at the same time fire in one callback, earliest deadline first.
 */
export class SleepScheduler {
	readonly #clock: Clock;
	readonly #heap: SleepEntry[] = [];
	#timer: TimerHandle | undefined;
	/** When the pending timer fires (meaningless without one). */
	#timerAt = 0;
	readonly #fire = () => this.#fireDue();

	constructor(clock: Clock) {
		this.#clock = clock;
	}

	/** Entries scheduled now. */
	get size(): number {
		return this.#heap.length;
	}

	/** Fires `entry` at `at` (ms); an entry already scheduled moves to `at`. */
	schedule(entry: SleepEntry, at: number): void {
		if (entry.sleepSlot >= 0) {
			const earlier = at < entry.sleepAt;
			entry.sleepAt = at;
			if (earlier) this.#up(entry.sleepSlot);
			else this.#down(entry.sleepSlot);
		} else {
			entry.sleepAt = at;
			entry.sleepSlot = this.#heap.length;
			this.#heap.push(entry);
			this.#up(entry.sleepSlot);
		}
		this.#arm();
	}

	/** `entry` does not fire (nothing happens if it was not scheduled). */
	cancel(entry: SleepEntry): void {
		const slot = entry.sleepSlot;
		if (slot < 0) return;
		entry.sleepSlot = -1;
		const last = this.#heap.pop() as SleepEntry;
		if (last !== entry) {
			this.#heap[slot] = last;
			last.sleepSlot = slot;
			this.#up(slot);
			this.#down(last.sleepSlot);
		}
		if (this.#heap.length === 0) this.#clearTimer();
	}

	/** Nothing fires any more (the host stopped); entries still scheduled are dropped. */
	stop(): void {
		for (const entry of this.#heap) entry.sleepSlot = -1;
		this.#heap.length = 0;
		this.#clearTimer();
	}

	#fireDue(): void {
		this.#timer = undefined;
		const now = this.#clock.now();
		try {
			for (;;) {
				const first = this.#heap[0];
				if (first === undefined || first.sleepAt > now) break;
				this.cancel(first);
				first.sleepDue();
			}
		} finally {
			this.#arm();
		}
	}

	/** The timer fires for the earliest entry (a timer already due sooner is kept: it re-arms). */
	#arm(): void {
		const first = this.#heap[0];
		if (first === undefined) return;
		if (this.#timer !== undefined) {
			if (this.#timerAt <= first.sleepAt) return;
			this.#clock.clearTimeout(this.#timer);
		}
		const now = this.#clock.now();
		this.#timerAt = Math.max(now, first.sleepAt);
		this.#timer = this.#clock.setTimeout(this.#fire, this.#timerAt - now);
	}

	#clearTimer(): void {
		if (this.#timer === undefined) return;
		this.#clock.clearTimeout(this.#timer);
		this.#timer = undefined;
	}

	#up(slot: number): void {
		const heap = this.#heap;
		const entry = heap[slot] as SleepEntry;
		let at = slot;
		while (at > 0) {
			const parentAt = (at - 1) >> 1;
			const parent = heap[parentAt] as SleepEntry;
			if (parent.sleepAt <= entry.sleepAt) break;
			heap[at] = parent;
			parent.sleepSlot = at;
			at = parentAt;
		}
		heap[at] = entry;
		entry.sleepSlot = at;
	}

	#down(slot: number): void {
		const heap = this.#heap;
		const length = heap.length;
		const entry = heap[slot] as SleepEntry;
		let at = slot;
		for (;;) {
			const left = 2 * at + 1;
			if (left >= length) break;
			const right = left + 1;
			const child =
				right < length && (heap[right] as SleepEntry).sleepAt < (heap[left] as SleepEntry).sleepAt
					? right
					: left;
			const smaller = heap[child] as SleepEntry;
			if (smaller.sleepAt >= entry.sleepAt) break;
			heap[at] = smaller;
			smaller.sleepSlot = at;
			at = child;
		}
		heap[at] = entry;
		entry.sleepSlot = at;
	}
}
