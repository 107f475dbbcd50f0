import { ActorError } from "../protocol/errors.js";

/**
 * The time the inspector's SQL console and database views may take. Their
 * queries run one at a time on a worker thread (db/inspect-thread.ts; on the
 * loop where none can be started), each interrupted after the time it was
 * given; without a budget, a holder of the read-only token could send one
 * such query after another and keep a core busy, and the others waiting. The time queries take is drawn from a bucket of
 * `capacityMs` that regains `perSecondMs` a second. A query reserves the time
 * it may run when it starts (at most `maxQueryMs`, at most what the bucket
 * holds) and gives back what it did not use when it ends, so queries that
 * overlap cannot together run past the bucket (eight pipelined ones took
 * 12 s of the loop when each only checked the balance, an attacker probe).
 * While the bucket holds under `minQueryMs`, the answer is
 * `limit/sql_console_busy` (429, `metadata.retryAfterMs`). With the defaults,
 * queries take at most about a fifth of a core over time.
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

	/**
	 * Reserves the time the next query may run, at most `wantedMs` (ms; give
	 * it back with {@link settle}); throws `limit/sql_console_busy` while the
	 * bucket is nearly empty.
	 */
	take(wantedMs = this.maxQueryMs): number {
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
		const reserved = Math.min(wantedMs, this.maxQueryMs, balance);
		this.#balanceMs -= reserved;
		return reserved;
	}

	/** A query given `reservedMs` by {@link take} ran for `usedMs`: the rest goes back. */
	settle(reservedMs: number, usedMs: number): void {
		this.#refill();
		this.#balanceMs += reservedMs - usedMs;
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
