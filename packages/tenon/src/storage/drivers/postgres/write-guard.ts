// A guard around a bug of the PostgreSQL client library (porsager/postgres 3.4.9, the newest
// release): when PostgreSQL closes a connection between a buffered write and its flush
// (`pg_terminate_backend`, a pooler or a failover restarting, `idle_session_timeout`), the
// flush runs from a timer on a socket already gone and throws `TypeError: Cannot read
// properties of null (reading 'write')` in `nextWrite` (porsager/postgres#1154, #1208; the
// fix, #1209, is not released). Uncaught, it ended the process: a cluster node died each
// time its database dropped its connections (an SRE walkthrough, 2026-11-28). The queries on
// that connection fail to their callers all the same (the connection is gone); only this
// stray throw is dropped, with a warning. Remove once a fixed release is required.

/** The library's bug, and nothing else: its error, thrown in its `nextWrite`. */
export function isStrayWriteError(error: unknown): boolean {
	if (!(error instanceof TypeError)) return false;
	const stack = error.stack ?? "";
	return (
		error.message.includes("reading 'write'") &&
		stack.includes("nextWrite") &&
		/[\\/]postgres[\\/](src|cjs[\\/]src|cf[\\/]src)[\\/]connection\.js/.test(stack)
	);
}

let installed = false;

/**
 * Installs the guard once per process (an `uncaughtException` listener). Any other error is
 * left as Node leaves it: to the app's own listener if it has one, otherwise printed, and the
 * process exits with 1.
 */
export function guardStrayWrites(warn: (message: string) => void): void {
	if (installed) return;
	installed = true;
	const listener = (error: unknown): void => {
		if (isStrayWriteError(error)) {
			warn("a PostgreSQL connection closed during a write (a client library bug); ignored");
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
