import { ActorError } from "../protocol/errors.js";

/**
 * The event-loop time the inspector's SQL console may take. Its queries run
 * on the loop (SQLite compiled to WebAssembly, in process), each interrupted
 * after `maxQueryMs`; without a budget, a holder of the read-only token could
 * send one such query after another and keep the server busy. The time
 * queries take is drawn from a bucket of `capacityMs` that regains
 * `perSecondMs` a second; a query may run at most what the bucket holds, and
 * while it holds under `minQueryMs` the console answers
 * `limit/sql_console_busy` (429, `metadata.retryAfterMs`). With the defaults,
 * the console takes at most about a fifth of the loop over time.
 */
export class QueryBudget {
	readonly #capacityMs: number;
	readonly #perSecondMs: number;
	readonly #now: () => number;
	#balanceMs: number;
	#at: number;

	constructor(
		readonly maxQueryMs = 2_000,
		capacityMs = 2_000,
		perSecondMs = 200,
		readonly minQueryMs = 100,
		now: () => number = () => performance.now(),
	) {
		this.#capacityMs = capacityMs;
		this.#perSecondMs = perSecondMs;
		this.#now = now;
		this.#balanceMs = capacityMs;
		this.#at = now();
	}

	/** The longest the next query may run, ms; throws `limit/sql_console_busy` while the bucket is nearly empty. */
	take(): number {
		const balance = this.#refill();
		if (balance < this.minQueryMs) {
			const retryAfterMs = Math.ceil(((this.minQueryMs - balance) / this.#perSecondMs) * 1_000);
			throw new ActorError(
				"limit",
				"sql_console_busy",
				`The SQL console used its share of the server's time; retry after ${retryAfterMs} ms`,
				{ retryAfterMs },
			);
		}
		return Math.min(this.maxQueryMs, balance);
	}

	/** A query ran for `ms`. */
	spend(ms: number): void {
		this.#refill();
		this.#balanceMs -= ms;
	}

	#refill(): number {
		const now = this.#now();
		this.#balanceMs = Math.min(
			this.#capacityMs,
			this.#balanceMs + ((now - this.#at) / 1_000) * this.#perSecondMs,
		);
		this.#at = now;
		return this.#balanceMs;
	}
}
