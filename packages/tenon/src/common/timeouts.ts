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

/**
 * How many calls of user code by Tenon are running synchronously now (an
 * action, a hook, a run loop, a workflow step, up to their first `await`).
 */
let callingUserCode = 0;

/**
 * True while Tenon calls user code synchronously: an error thrown now reaches
 * Tenon (and the caller), not the event loop. The state tracker refuses bad
 * writes by throwing only then (state-write-checks.ts): thrown from a timer
 * the app set itself, the error would end the process.
 */
export function isCallingUserCode(): boolean {
	return callingUserCode > 0;
}

/** Calls `fn` and always returns a promise (sync throws become rejections). */
export function callAsync<T>(fn: () => T | Promise<T>): Promise<T> {
	callingUserCode++;
	try {
		return Promise.resolve(fn());
	} catch (error) {
		return Promise.reject(error);
	} finally {
		callingUserCode--;
	}
}

/** What {@link callNow} saw: a value or an error at once, or a promise to wait for. */
export type CallOutcome<T> =
	| { readonly now: true; readonly value: T; readonly error?: undefined; readonly failed: false }
	| {
			readonly now: true;
			readonly value?: undefined;
			readonly error: unknown;
			readonly failed: true;
	  }
	| { readonly now: false; readonly promise: Promise<T> };

/**
 * Calls user code like {@link callAsync}, without a promise for a call
 * that settled at once: its value (or what it threw) is read right away, so
 * an action that returns a value is answered in the same pass.
 */
export function callNow<T>(fn: () => T | Promise<T>): CallOutcome<T> {
	callingUserCode++;
	try {
		const result = fn();
		if (isThenable(result)) return { now: false, promise: Promise.resolve(result) };
		return { now: true, value: result as T, failed: false };
	} catch (error) {
		return { now: true, error, failed: true };
	} finally {
		callingUserCode--;
	}
}

function isThenable(value: unknown): boolean {
	return (
		value !== null &&
		(typeof value === "object" || typeof value === "function") &&
		typeof (value as { then?: unknown }).then === "function"
	);
}
