// When a connection that lost its socket tries again.

/** The bounds of the delay between reconnect attempts, in ms (from the client's options). */
export interface BackoffDelays {
	readonly reconnectMinDelayMs: number;
	readonly reconnectMaxDelayMs: number;
}

/**
 * Exponential backoff with jitter between reconnect attempts: the delay
 * doubles from the minimum up to the maximum, each drawn between half and
 * all of it, so that clients a server restart dropped together do not all
 * come back at once. A connection that stayed open {@link STABLE_MS} starts
 * over from the minimum; one lost sooner keeps counting, so a server that
 * sends `Init` and closes at once is not asked again every 125-250 ms.
 */
/** How long a connection stays open before its next loss waits the minimum again. */
export const STABLE_MS = 5000;

export class ReconnectBackoff {
	readonly #delays: BackoffDelays;
	/** Attempts since the connection last stayed open {@link STABLE_MS}. */
	#attempt = 0;
	/** When the connection last opened (`performance.now()`); undefined while it is not open. */
	#openedAt: number | undefined;
	#timer: ReturnType<typeof setTimeout> | undefined;

	constructor(delays: BackoffDelays) {
		this.#delays = delays;
	}

	/** Runs `reconnect` after the next delay. */
	schedule(reconnect: () => void): void {
		if (this.#openedAt !== undefined && performance.now() - this.#openedAt >= STABLE_MS)
			this.#attempt = 0;
		this.#openedAt = undefined;
		const base = Math.min(
			this.#delays.reconnectMaxDelayMs,
			this.#delays.reconnectMinDelayMs * 2 ** Math.min(this.#attempt, 16),
		);
		this.#attempt++;
		// Clamped: a huge maxDelayMs must not overflow Node's timer (it would fire at once).
		const delay = Math.min(base * (0.5 + Math.random() * 0.5), 2_147_483_647);
		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			reconnect();
		}, delay);
	}

	/** The connection opened: a loss after {@link STABLE_MS} waits the minimum again. */
	opened(): void {
		this.#openedAt = performance.now();
	}

	/** The connection was disposed: no attempt is left waiting. */
	cancel(): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = undefined;
	}
}
