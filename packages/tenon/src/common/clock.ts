import { LongTimeout, MAX_TIMER_DELAY_MS } from "./long-timeout.js";

/** An opaque handle to a pending timer. */
export interface TimerHandle {
	readonly __timer: unique symbol;
}

/**
 * The source of time for the runtime: sleep timeouts, action timeouts and hook
 * timeouts all go through it. Production uses {@link systemClock}; the test kit
 * supplies a manual clock so tests can advance time without waiting.
 */
export interface Clock {
	/** Milliseconds since the epoch. */
	now(): number;
	/** Runs `callback` once after `ms` milliseconds. Timers never keep the process alive. */
	setTimeout(callback: () => void, ms: number): TimerHandle;
	clearTimeout(handle: TimerHandle): void;
}

/**
 * The wall clock and Node's timers (unref'd, so they never hold the process
 * open). Delays past Node's ~24.8-day maximum wait in chunks (see LongTimeout).
 */
export const systemClock: Clock = {
	now: () => Date.now(),
	setTimeout(callback, ms) {
		// The common case stays a plain Node timer (no extra allocation).
		if (ms >= 0 && ms <= MAX_TIMER_DELAY_MS) {
			const timer = setTimeout(callback, ms);
			timer.unref?.();
			return timer as unknown as TimerHandle;
		}
		return new LongTimeout(callback, ms) as unknown as TimerHandle;
	},
	clearTimeout(handle) {
		if (handle instanceof LongTimeout) handle.clear();
		else clearTimeout(handle as unknown as ReturnType<typeof setTimeout>);
	},
};

/** The latest time a `Date` holds (ms since the epoch): the bound of timers and workflow waits. */
export const MAX_DATE_MS = 8.64e15;
