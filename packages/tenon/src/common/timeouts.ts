import type { Clock } from "../common/clock.js";

/**
 * Races `promise` against a timer on `clock`. On timeout, rejects with
 * `onTimeout()`; the original promise keeps running (JavaScript cannot cancel it).
 */
export function withTimeout<T>(
	promise: Promise<T>,
	clock: Clock,
	ms: number,
	onTimeout: () => unknown,
): Promise<T> {
	if (!Number.isFinite(ms)) return promise;
	return new Promise<T>((resolve, reject) => {
		const timer = clock.setTimeout(() => reject(onTimeout()), ms);
		promise.then(
			(value) => {
				clock.clearTimeout(timer);
				resolve(value);
			},
			(error: unknown) => {
				clock.clearTimeout(timer);
				reject(error);
			},
		);
	});
}

/** Calls `fn` and always returns a promise (sync throws become rejections). */
export function callAsync<T>(fn: () => T | Promise<T>): Promise<T> {
	try {
		return Promise.resolve(fn());
	} catch (error) {
		return Promise.reject(error);
	}
}
