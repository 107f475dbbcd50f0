import { checkRate, type Rate, TokenBucket } from "../common/token-bucket.js";

export type { Rate };

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
