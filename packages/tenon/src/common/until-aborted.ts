/**
 * `work`'s outcome, or a rejection with the signal's reason once it aborts,
 * whichever is first. What `work` does later is nobody's concern: a late
 * failure of it is ignored. For work that may never settle and does not
 * watch the signal itself (a tool, a model's stream written by an app).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const onAbort = (): void => {
			work.catch(() => {});
			reject(signal.reason);
		};
		if (signal.aborted) return onAbort();
		signal.addEventListener("abort", onAbort, { once: true });
		work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
	});
}
