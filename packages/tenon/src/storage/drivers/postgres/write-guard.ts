// A guard around two bugs of the PostgreSQL client library (porsager/postgres 3.4.9, the newest
// release), both hit when PostgreSQL closes a connection (`pg_terminate_backend`, a restart, a
// pooler or a failover, `idle_session_timeout`):
// - between a buffered write and its flush, the flush runs from a timer on a socket already
//   gone and throws `TypeError: Cannot read properties of null (reading 'write')` in
//   `nextWrite` (porsager/postgres#1154, #1208; the fix, #1209, is not released);
// - while a new connection runs the library's own first query (the array types it fetches,
//   `fetch_types`), that query fails with the closing error (57P01 "terminating connection
//   due to administrator command", or CONNECTION_CLOSED) and the library drops the promise
//   of its `fetchArrayTypes`: an unhandled rejection (porsager/postgres#1192, #1205, #1223;
//   not fixed).
// Uncaught, each ended the process: a cluster node died when its database dropped its
// connections (an SRE walkthrough, 2026-11-28). The queries on that connection fail to their
// callers all the same (the connection is gone); only these stray errors are dropped, with a
// warning. Remove once a fixed release is required.

const LIBRARY_CONNECTION = /[\\/]postgres[\\/](src|cjs[\\/]src|cf[\\/]src)[\\/]connection\.js/;

/** The library's bug, and nothing else: its error, thrown in its `nextWrite`. */
export function isStrayWriteError(error: unknown): boolean {
	if (!(error instanceof TypeError)) return false;
	const stack = error.stack ?? "";
	return (
		error.message.includes("reading 'write'") &&
		stack.includes("nextWrite") &&
		LIBRARY_CONNECTION.test(stack)
	);
}

/**
 * The library's own array-types query failing: the rejection of its `fetchArrayTypes`, which
 * nothing awaits. Told by the query the library names on its errors (a bundled library has no
 * path of its own in the stack). Only ever dropped as an unhandled rejection.
 */
export function isStrayTypesError(error: unknown): boolean {
	if (!(error instanceof Error) || !("code" in error)) return false;
	const query = (error as { query?: unknown }).query;
	return (
		typeof query === "string" &&
		/select b\.oid, b\.typarray\s+from pg_catalog\.pg_type a/.test(query)
	);
}

let installed = false;

/**
 * Installs the guard once per process (an `uncaughtException` listener, which Node also
 * calls for an unhandled rejection when nothing listens for those). Any other error is left
 * as Node leaves it: to the app's own listener if it has one, otherwise printed, and the
 * process exits with 1.
 */
export function guardStrayWrites(warn: (message: string) => void): void {
	if (installed) return;
	installed = true;
	const listener = (error: unknown, origin?: string): void => {
		if (isStrayWriteError(error)) {
			warn("a PostgreSQL connection closed during a write (a client library bug); ignored");
			return;
		}
		if (origin === "unhandledRejection" && isStrayTypesError(error)) {
			warn("a PostgreSQL connection closed while it was set up (a client library bug); ignored");
			return;
		}
		// The app listens too: the error is its to handle.
		if (process.listenerCount("uncaughtException") > 1) return;
		process.stderr.write(
			`${error instanceof Error ? (error.stack ?? String(error)) : String(error)}\n`,
		);
		process.exit(1);
	};
	process.on("uncaughtException", listener);
}
