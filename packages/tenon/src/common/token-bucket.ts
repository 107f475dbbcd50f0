/** A rate: a sustained number of events per second, with bursts up to `burst`. */
export interface Rate {
	perSecond: number;
	burst: number;
}

/**
 * One token bucket: each event takes a token (or is charged a cost after
 * the fact), tokens refill at `perSecond` up to `burst`. A socket owns its
 * own (server/socket-slots.ts): no lookup per frame; an actor's presence has
 * one for its fan-out. `now` is in ms, from the caller, so one clock read
 * serves several buckets.
 */
export class TokenBucket {
	readonly #rate: Rate;
	#tokens: number;
	#at: number;

	constructor(rate: Rate, now: number) {
		checkRate(rate);
		this.#rate = rate;
		this.#tokens = rate.burst;
		this.#at = now;
	}

	/** Takes one token: 0 when allowed, else how long to wait (ms) before a retry succeeds. */
	take(now: number): number {
		this.#refill(now);
		if (this.#tokens >= 1) {
			this.#tokens -= 1;
			return 0;
		}
		return Math.ceil(((1 - this.#tokens) * 1000) / this.#rate.perSecond);
	}

	/**
	 * Charges `cost` tokens for something already done (the time a frame took
	 * to decode, the frames a presence update took): the bucket may go into
	 * debt; `charge(0, now)` only asks how long until it is out of it. Returns 0 while it holds
	 * tokens, else how long (ms) until it is out of debt.
	 */
	charge(cost: number, now: number): number {
		this.#refill(now);
		this.#tokens -= cost;
		if (this.#tokens >= 0) return 0;
		return Math.ceil((-this.#tokens * 1000) / this.#rate.perSecond);
	}

	#refill(now: number): void {
		const elapsed = now - this.#at;
		if (elapsed <= 0) return;
		const rate = this.#rate;
		this.#tokens = Math.min(rate.burst, this.#tokens + (elapsed * rate.perSecond) / 1000);
		this.#at = now;
	}
}

/** Throws unless `rate` is usable (perSecond > 0, burst >= 1). */
export function checkRate(rate: Rate): void {
	if (!(rate.perSecond > 0) || !(rate.burst >= 1)) {
		throw new Error("a rate needs perSecond > 0 and burst >= 1");
	}
}
