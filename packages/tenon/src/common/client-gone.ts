// The error a request body fails with when its client went away in the middle of it (an
// `AbortError`, as `fetch` bodies fail). Such a request has nobody to answer, and it is not
// the server's failure: it is logged at debug, not as an error (an operator alerting on
// errors was paged for every client that reset a connection mid-upload, 2026-11-27).

const gone = new WeakSet<object>();

/** A new "the client went away mid-body" error. */
export function clientGoneError(): Error {
	const error = new DOMException(
		"The client closed the connection before the end of the body",
		"AbortError",
	);
	gone.add(error);
	return error;
}

/** True for an error made by {@link clientGoneError} (not any other abort). */
export function isClientGone(error: unknown): boolean {
	return typeof error === "object" && error !== null && gone.has(error);
}
