import { ActorError } from "../protocol/errors.js";

/**
 * The event loop's time spent applying Yjs updates, on a budget.
 *
 * Yjs applies an update in one synchronous call, and what it costs depends
 * on the document as much as on the update: an attacker probe (2026-11-24)
 * blocked the loop for about 2 s with one 4 MiB update of conflicting
 * inserts, and sent in a loop such updates would block it all the time. The
 * call cannot be split, nor moved off the loop without a second copy of the
 * document, so its time is measured and charged afterwards to three buckets
 * that refill with time: the sending connection's, its actor's and the
 * process's. While one of them is empty, updates it covers are refused with
 * `limit/yjs_busy` (metadata `retryAfterMs`); the provider backs off and
 * sends them again. One update can still take as long as it takes (the
 * message limit bounds it); a stream of them gets at most the refill rates:
 * a tenth of the loop per connection, a quarter per actor, half over all.
 * An honest update costs well under a millisecond, a large paste a few.
 */
export interface ApplyBudgetRates {
	/** Milliseconds a bucket holds (a burst), and milliseconds it regains per second. */
	connection: { burstMs: number; perSecondMs: number };
	actor: { burstMs: number; perSecondMs: number };
}

export const DEFAULT_APPLY_RATES: ApplyBudgetRates = {
	connection: { burstMs: 500, perSecondMs: 100 },
	actor: { burstMs: 1_000, perSecondMs: 250 },
};

/** A bucket of milliseconds that refills at a rate; it may go below zero (an update overdraws it). */
export class TimeBucket {
	#level: number;
	#at: number;

	constructor(
		readonly burstMs: number,
		readonly perSecondMs: number,
		readonly now: () => number,
	) {
		this.#level = burstMs;
		this.#at = now();
	}

	/** Milliseconds until this bucket holds time again (0: it does now). */
	waitMs(): number {
		this.#refill();
		return this.#level > 0 ? 0 : Math.ceil((-this.#level * 1000) / this.perSecondMs) + 1;
	}

	charge(ms: number): void {
		this.#refill();
		this.#level -= ms;
	}

	#refill(): void {
		const now = this.now();
		this.#level = Math.min(
			this.burstMs,
			this.#level + ((now - this.#at) * this.perSecondMs) / 1000,
		);
		this.#at = now;
	}
}

/** Half of the process's loop, shared by every Yjs actor in it. */
const processBucket = new TimeBucket(2_000, 500, () => performance.now());

/** One actor's budget: its own bucket, one per connection, and the process's. */
export class ApplyBudget {
	readonly #rates: ApplyBudgetRates;
	readonly #now: () => number;
	readonly #actor: TimeBucket;
	readonly #process: TimeBucket;
	readonly #connections = new Map<string, TimeBucket>();

	constructor(
		rates: ApplyBudgetRates = DEFAULT_APPLY_RATES,
		now: () => number = () => performance.now(),
		process: TimeBucket = processBucket,
	) {
		this.#rates = rates;
		this.#now = now;
		this.#actor = new TimeBucket(rates.actor.burstMs, rates.actor.perSecondMs, now);
		this.#process = process;
	}

	/**
	 * Throws `limit/yjs_busy` while a bucket covering `connId` is empty
	 * (`undefined`: a call without a lasting connection, over HTTP).
	 */
	admit(connId: string | undefined): void {
		const wait = Math.max(
			this.#process.waitMs(),
			this.#actor.waitMs(),
			connId === undefined ? 0 : (this.#connections.get(connId)?.waitMs() ?? 0),
		);
		if (wait > 0)
			throw new ActorError(
				"limit",
				"yjs_busy",
				`Updates to this document took too long to apply lately; try again in ${wait} ms`,
				{ retryAfterMs: wait },
			);
	}

	/** Runs `apply` (an update's checks and application) and charges its time. */
	measure<T>(connId: string | undefined, apply: () => T): T {
		const started = this.#now();
		try {
			return apply();
		} finally {
			const spent = this.#now() - started;
			this.#process.charge(spent);
			this.#actor.charge(spent);
			if (connId !== undefined) this.#connection(connId).charge(spent);
		}
	}

	/** Forgets a connection that is gone. */
	drop(connId: string): void {
		this.#connections.delete(connId);
	}

	#connection(connId: string): TimeBucket {
		let bucket = this.#connections.get(connId);
		if (bucket === undefined) {
			const { burstMs, perSecondMs } = this.#rates.connection;
			bucket = new TimeBucket(burstMs, perSecondMs, this.#now);
			this.#connections.set(connId, bucket);
		}
		return bucket;
	}
}
