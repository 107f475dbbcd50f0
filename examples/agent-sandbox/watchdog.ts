// The deadline of one run, as QuickJS's interrupt handler sees it (inside a worker).

/**
 * How long guest code may keep running after the interrupt first fired. Interrupts are
 * swallowed by async functions and promise executors (QuickJS turns them into rejections),
 * so `for (;;) (async () => { for (;;); })()` never ends by interrupts alone.
 */
const HARD_STOP_GRACE_MS = 50;

/** Decides, on each poll by QuickJS, whether the run is past its deadline. */
export class Watchdog {
	readonly timeLimitMs: number;
	readonly #deadlineAt: number;
	#firstInterruptAt: number | undefined;
	#hardStopRequested = false;

	constructor(timeLimitMs: number) {
		this.timeLimitMs = timeLimitMs;
		this.#deadlineAt = performance.now() + timeLimitMs;
	}

	/** True once an interrupt was delivered: the run is a timeout whatever happens next. */
	get fired(): boolean {
		return this.#firstInterruptAt !== undefined;
	}

	get hardStopRequested(): boolean {
		return this.#hardStopRequested;
	}

	readonly shouldInterrupt = (): boolean => {
		const now = performance.now();
		if (now <= this.#deadlineAt) return false;
		this.#firstInterruptAt ??= now;
		// Polls that keep coming after the first interrupt mean the guest swallowed it.
		if (now - this.#firstInterruptAt > HARD_STOP_GRACE_MS) this.#hardStopRequested = true;
		return true;
	};
}
