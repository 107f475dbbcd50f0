/** A rate: a sustained number of events per second, with bursts up to `burst`. */
export interface Rate {
	perSecond: number;
	burst: number;
}

interface Bucket {
	tokens: number;
	at: number;
}

/**
 * Token buckets by key (an address, a connection): each event takes a
 * token, tokens refill at `perSecond` up to `burst`. Memory is bounded: at
 * most `maxKeys` buckets are kept, the least recently refilled go first
 * (a dropped bucket restarts full, which only ever favours the caller).
 */
export class RateLimiter {
	readonly #rate: Rate;
	readonly #now: () => number;
	readonly #maxKeys: number;
	readonly #buckets = new Map<string, Bucket>();

	constructor(rate: Rate, now: () => number = () => performance.now(), maxKeys = 100_000) {
		if (!(rate.perSecond > 0) || !(rate.burst >= 1)) {
			throw new Error("a rate needs perSecond > 0 and burst >= 1");
		}
		this.#rate = rate;
		this.#now = now;
		this.#maxKeys = maxKeys;
	}

	/** Takes one token for `key`: 0 when allowed, else how long to wait (ms) before a retry succeeds. */
	take(key: string): number {
		const bucket = this.#refill(key);
		if (bucket.tokens >= 1) {
			bucket.tokens -= 1;
			return 0;
		}
		return Math.ceil(((1 - bucket.tokens) * 1000) / this.#rate.perSecond);
	}

	/**
	 * Charges `cost` tokens to `key` for something already done (the time a
	 * frame took to decode): the bucket may go into debt. Returns 0 while it
	 * holds tokens, else how long (ms) until it is out of debt.
	 */
	charge(key: string, cost: number): number {
		const bucket = this.#refill(key);
		bucket.tokens -= cost;
		if (bucket.tokens >= 0) return 0;
		return Math.ceil((-bucket.tokens * 1000) / this.#rate.perSecond);
	}

	/** `key`'s bucket, refilled up to now and moved to the most recently used end. */
	#refill(key: string): Bucket {
		const now = this.#now();
		const rate = this.#rate;
		let bucket = this.#buckets.get(key);
		if (bucket === undefined) {
			if (this.#buckets.size >= this.#maxKeys) {
				const oldest = this.#buckets.keys().next().value;
				if (oldest !== undefined) this.#buckets.delete(oldest);
			}
			bucket = { tokens: rate.burst, at: now };
		} else {
			// Re-inserted below, so the map stays in least-recently-used order.
			this.#buckets.delete(key);
			bucket.tokens = Math.min(
				rate.burst,
				bucket.tokens + ((now - bucket.at) * rate.perSecond) / 1000,
			);
			bucket.at = now;
		}
		this.#buckets.set(key, bucket);
		return bucket;
	}

	/** Forgets `key` (its connection closed). */
	forget(key: string): void {
		this.#buckets.delete(key);
	}
}

/** True for loopback peers (127.0.0.0/8, ::1), which per-address limits skip by default. */
export function isLoopbackAddress(address: string | undefined): boolean {
	if (address === undefined) return false;
	return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}
