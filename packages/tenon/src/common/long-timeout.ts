// Node's timers take delays up to 2^31-1 ms (~24.8 days). A longer delay is
// silently replaced by 1 ms (with a TimeoutOverflowWarning), so a timer a
// month away would fire at once and, re-armed for the same far deadline,
// spin the process. Every delay in Tenon goes through here instead.

/** The longest delay Node's `setTimeout` honours, in ms. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** A timer that may be any number of ms away. */
export class LongTimeout {
	readonly #callback: () => void;
	readonly #deadline: number;
	readonly #unref: boolean;
	#timer: ReturnType<typeof setTimeout> | undefined;

	/**
	 * @param ms the delay; `NaN` and negative values mean 0, `Infinity` never fires.
	 * @param unref when true (the default) the timer does not keep the process alive.
	 */
	constructor(callback: () => void, ms: number, unref = true) {
		this.#callback = callback;
		const delay = Number.isNaN(ms) || ms < 0 ? 0 : ms;
		this.#deadline = performance.now() + delay;
		this.#unref = unref;
		if (delay !== Number.POSITIVE_INFINITY) this.#arm(delay);
	}

	#arm(delay: number): void {
		const step = Math.min(delay, MAX_TIMER_DELAY_MS);
		this.#timer = setTimeout(() => {
			const remaining = this.#deadline - performance.now();
			// A chunk of a longer wait ended: wait for the rest. (Timers may fire
			// a little early; under a millisecond is close enough.)
			if (remaining >= 1) this.#arm(remaining);
			else {
				this.#timer = undefined;
				this.#callback();
			}
		}, step);
		if (this.#unref) this.#timer.unref?.();
	}

	/** Cancels the timer (idempotent). */
	clear(): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = undefined;
	}
}

/** Like `setTimeout`, for any delay (see {@link LongTimeout}); the timer is unref'd. */
export function setLongTimeout(callback: () => void, ms: number): LongTimeout {
	return new LongTimeout(callback, ms);
}
