/** A rate: a sustained number of events per second, with bursts up to `burst`. */
export interface Rate {
	perSecond: number;
	burst: number;
}

/**
 * One token bucket: each event takes a token (or is charged a cost after
 * the fact), tokens refill at `perSecond` up to `burst`. A socket owns its
 * own (socket-slots.ts): no lookup per frame. `now` is in ms, from the
 * caller, so one clock read serves several buckets.
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
	 * to decode): the bucket may go into debt. Returns 0 while it holds
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

function checkRate(rate: Rate): void {
	if (!(rate.perSecond > 0) || !(rate.burst >= 1)) {
		throw new Error("a rate needs perSecond > 0 and burst >= 1");
	}
}

/**
 * Token buckets by key (an address): see {@link TokenBucket}. Memory is
 * bounded: at most `maxKeys` buckets are kept, the least recently used go
 * first (a dropped bucket restarts full, which only ever favours the caller).
 */
export class RateLimiter {
	readonly #rate: Rate;
	readonly #now: () => number;
	readonly #maxKeys: number;
	readonly #buckets = new Map<string, TokenBucket>();

	constructor(rate: Rate, now: () => number = () => performance.now(), maxKeys = 100_000) {
		checkRate(rate);
		this.#rate = rate;
		this.#now = now;
		this.#maxKeys = maxKeys;
	}

	/** Takes one token for `key`: 0 when allowed, else how long to wait (ms) before a retry succeeds. */
	take(key: string): number {
		const now = this.#now();
		return this.#bucket(key, now).take(now);
	}

	/** Charges `cost` tokens to `key` after the fact (see {@link TokenBucket.charge}). */
	charge(key: string, cost: number, now = this.#now()): number {
		return this.#bucket(key, now).charge(cost, now);
	}

	/** `key`'s bucket, moved to the most recently used end. */
	#bucket(key: string, now: number): TokenBucket {
		let bucket = this.#buckets.get(key);
		if (bucket === undefined) {
			if (this.#buckets.size >= this.#maxKeys) {
				const oldest = this.#buckets.keys().next().value;
				if (oldest !== undefined) this.#buckets.delete(oldest);
			}
			bucket = new TokenBucket(this.#rate, now);
		} else {
			// Re-inserted below, so the map stays in least-recently-used order.
			this.#buckets.delete(key);
		}
		this.#buckets.set(key, bucket);
		return bucket;
	}

	/** Forgets `key`. */
	forget(key: string): void {
		this.#buckets.delete(key);
	}
}

/** True for loopback peers (127.0.0.0/8, ::1), which per-address limits skip by default. */
export function isLoopbackAddress(address: string | undefined): boolean {
	if (address === undefined) return false;
	return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}
