// Messages a failed `run` loop held, handed out again after a delay of their
// own while the messages behind them go on. A message that made the loop fail
// was handed out first again at every restart, and every message behind it
// waited (31 s for one such message, 3 minutes for two, in an attacker probe).
import type { Clock, TimerHandle } from "../common/clock.js";
import type { StoredMessage } from "./queue-records.js";

/**
 * The first delay before a message a failed `run` held is handed out again
 * (ms); it doubles per delivery. Twice the loop's first restart delay
 * (RUN_RESTART_MIN_MS), so the restarted loop takes the messages behind it
 * first.
 */
const RETRY_DELAY_MIN_MS = 2_000;
/** The longest such delay (ms). */
const RETRY_DELAY_MAX_MS = 30_000;

/** Holds `message` back (2 s, doubling with its deliveries, up to 30 s) from `now`. */
export function holdBack(message: StoredMessage, now: number): void {
	message.notBefore =
		now +
		Math.min(RETRY_DELAY_MAX_MS, RETRY_DELAY_MIN_MS * 2 ** Math.max(0, message.deliveries - 1));
}

/** When the earliest of `messages` held back is due, if any. */
export function heldUntil(messages: readonly StoredMessage[]): number | undefined {
	let due: number | undefined;
	for (const message of messages)
		if (!message.leased && message.notBefore > 0)
			due = due === undefined ? message.notBefore : Math.min(due, message.notBefore);
	return due;
}

/** One timer for an actor's held-back messages: `due` runs when the earliest is due. */
export class HeldBack {
	readonly #clock: Clock;
	readonly #due: () => void;
	#timer: TimerHandle | undefined;
	#at = Number.POSITIVE_INFINITY;

	constructor(clock: Clock, due: () => void) {
		this.#clock = clock;
		this.#due = due;
	}

	/** Clears the holds that passed and arms the timer for the earliest left among `messages`. */
	arm(messages: readonly StoredMessage[]): void {
		let due = Number.POSITIVE_INFINITY;
		const now = this.#clock.now();
		for (const message of messages) {
			if (message.notBefore === 0) continue;
			if (message.notBefore <= now) message.notBefore = 0;
			else if (!message.leased) due = Math.min(due, message.notBefore);
		}
		if (due === Number.POSITIVE_INFINITY || due >= this.#at) return;
		if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
		this.#at = due;
		this.#timer = this.#clock.setTimeout(
			() => {
				this.#timer = undefined;
				this.#at = Number.POSITIVE_INFINITY;
				this.#due();
				this.arm(messages);
			},
			Math.max(0, due - now),
		);
	}

	close(): void {
		if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
		this.#timer = undefined;
	}
}
