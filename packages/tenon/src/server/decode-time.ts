import type { Rate } from "../common/token-bucket.js";
import { errors } from "../protocol/errors.js";
import { RateLimiter } from "./rate-limit.js";
import type { RequestGuard } from "./request-guard.js";

/**
 * Longest an HTTP body waits for its address's decode time before it is
 * read (ms); past it the request is refused (`limit/rate_limited`, 429,
 * `metadata.retryAfter`) instead of waiting longer.
 */
export const MAX_DECODE_WAIT_MS = 5_000;

/** One client address's decode time, for an HTTP body (see {@link AddressDecodeTime.budget}). */
export interface DecodeBudget {
	/**
	 * Undefined while the address has time left; else resolves once it has
	 * regained it, or rejects (`limit/rate_limited`) when that is more than
	 * {@link MAX_DECODE_WAIT_MS} away. Asked before the body is read, so a
	 * waiting body is not read (the client's socket holds it) and a client
	 * that left is not served later.
	 */
	ready(): Promise<void> | undefined;
	/** Runs `decode`, charging the time it took to the address. */
	timed<T>(decode: () => T): T;
}

/**
 * Event-loop time spent decoding what each client address sends, against
 * `rateLimits.decodeTime.perAddress`: WebSocket frames (server/socket-slots.ts)
 * and HTTP bodies share one budget per address. Bodies were not charged: 8
 * concurrent actions of 2 MB holding 999,000 zeros each (under the item
 * limit) took about 135 ms of every 200 of the loop, and another client's
 * call waited 221 ms instead of 4 (an audit, 2026-11-27). Loopback and other
 * addresses the guard does not limit are not charged.
 */
export class AddressDecodeTime {
	readonly #guard: RequestGuard;
	readonly #limiter: RateLimiter | undefined;

	constructor(guard: RequestGuard, rate: Rate | false, maxKeys: number) {
		this.#guard = guard;
		this.#limiter = rate === false ? undefined : new RateLimiter(rate, undefined, maxKeys);
	}

	/** Charges `ms` of decoding ending at `now` to `address`: 0, or the ms until it is out of debt. */
	charge(address: string | undefined, ms: number, now: number): number {
		const key = this.#limiter === undefined ? undefined : this.#guard.limitKey(address);
		if (key === undefined) return 0;
		return (this.#limiter as RateLimiter).charge(key, ms, now);
	}

	/** The decode time of HTTP bodies from `address`; undefined where nothing is charged. */
	budget(address: string | undefined): DecodeBudget | undefined {
		const limiter = this.#limiter;
		const key = limiter === undefined ? undefined : this.#guard.limitKey(address);
		if (limiter === undefined || key === undefined) return undefined;
		const waitFor = (): Promise<void> | undefined => {
			const wait = limiter.charge(key, 0, performance.now());
			if (wait <= 0) return undefined;
			if (wait > MAX_DECODE_WAIT_MS) return Promise.reject(errors.rateLimited("address", wait));
			// Others of its address may spend the time regained first: asked again then.
			return new Promise<void>((resolve) => setTimeout(resolve, wait)).then(waitFor);
		};
		return {
			ready: waitFor,
			timed: <T>(decode: () => T): T => {
				const started = performance.now();
				try {
					return decode();
				} finally {
					const now = performance.now();
					limiter.charge(key, now - started, now);
				}
			},
		};
	}
}

/** Reads a body once `budget` allows (at once without one). */
export function readWithin(
	budget: DecodeBudget | undefined,
	read: () => Promise<Uint8Array>,
): Promise<Uint8Array> {
	const ready = budget?.ready();
	return ready === undefined ? read() : ready.then(read);
}

/** Decodes within `budget` where there is one. */
export function decodeWithin<T>(budget: DecodeBudget | undefined, decode: () => T): T {
	return budget === undefined ? decode() : budget.timed(decode);
}
