/**
 * Calls user code whose result nothing awaits (a listener, a hook typed to
 * return nothing): a throw, or the rejection of a promise it returns (an
 * `async` listener), goes to `report`. A rejection left unhandled would end
 * a Node process by default, and input a client sends can cause one.
 */
export function callSafely(run: () => unknown, report: (error: unknown) => void): void {
	try {
		const result = run();
		if (isThenable(result)) result.then(undefined, report);
	} catch (error) {
		report(error);
	}
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
	return (
		value !== null &&
		(typeof value === "object" || typeof value === "function") &&
		typeof (value as { then?: unknown }).then === "function"
	);
}
