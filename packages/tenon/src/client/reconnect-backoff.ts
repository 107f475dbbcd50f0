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
 * come back at once. An open connection starts over from the minimum.
 */
export class ReconnectBackoff {
	readonly #delays: BackoffDelays;
	/** Attempts since the connection last opened. */
	#attempt = 0;
	#timer: ReturnType<typeof setTimeout> | undefined;

	constructor(delays: BackoffDelays) {
		this.#delays = delays;
	}

	/** Runs `reconnect` after the next delay. */
	schedule(reconnect: () => void): void {
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

	/** The connection opened: the next loss waits the minimum again. */
	reset(): void {
		this.#attempt = 0;
	}

	/** The connection was disposed: no attempt is left waiting. */
	cancel(): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = undefined;
	}
}
