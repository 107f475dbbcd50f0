import type { Rate } from "../common/token-bucket.js";
import { RateLimiter } from "./rate-limit.js";
import type { RequestGuard } from "./request-guard.js";

/** Runs a body's decoding, charged to its client's address (see {@link AddressDecodeTime.timer}). */
export type DecodeTimer = <T>(decode: () => T) => T | Promise<T>;

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

	/**
	 * How an HTTP body of a client at `address` is decoded: at once while its
	 * address has time left, else once it has regained it (the request waits,
	 * as a socket's frames do; nothing is refused); the time it took is then
	 * charged. Undefined where nothing is charged.
	 */
	timer(address: string | undefined): DecodeTimer | undefined {
		const limiter = this.#limiter;
		const key = limiter === undefined ? undefined : this.#guard.limitKey(address);
		if (limiter === undefined || key === undefined) return undefined;
		const timed = <T>(decode: () => T): T => {
			const started = performance.now();
			try {
				return decode();
			} finally {
				const now = performance.now();
				limiter.charge(key, now - started, now);
			}
		};
		const run = <T>(decode: () => T): T | Promise<T> => {
			const wait = limiter.charge(key, 0, performance.now());
			if (wait <= 0) return timed(decode);
			// Others of its address may spend the time regained first: asked again then.
			return new Promise<void>((resolve) => setTimeout(resolve, wait)).then(() => run(decode));
		};
		return run;
	}
}

/** Decodes with `timer` where there is one. */
export function decodeWith<T>(timer: DecodeTimer | undefined, decode: () => T): T | Promise<T> {
	return timer === undefined ? decode() : timer(decode);
}
