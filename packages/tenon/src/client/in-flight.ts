// A connection's calls waiting for their answers (client/connection.ts), and the
// secret a connection resumes with.
import { watchAbort } from "./abort-watch.js";

/** A call sent on a connection, waiting for its answer. */
export interface InFlight {
	name: string;
	resolve(value: unknown): void;
	reject(error: unknown): void;
}

/**
 * A call that `signal` may abort (`forget` drops it from the connection). Settled any way
 * (answer, error, lost connection, dispose), it stops listening, so one signal can serve any
 * number of calls. Calls without a signal (most) make none of these closures.
 */
export function abortableCall(
	name: string,
	signal: AbortSignal,
	resolve: (value: unknown) => void,
	reject: (error: unknown) => void,
	forget: () => void,
): InFlight {
	// One listener on the signal, however many calls share it (see abort-watch.ts).
	const settle = signal.aborted
		? () => {}
		: watchAbort(signal, () => {
				forget();
				reject(signal.reason);
			});
	return {
		name,
		resolve: (value) => {
			settle();
			resolve(value);
		},
		reject: (error) => {
			settle();
			reject(error);
		},
	};
}

/** 32 random URL-safe characters (192 bits). */
export function newResumeToken(): string {
	const bytes = new Uint8Array(24);
	globalThis.crypto.getRandomValues(bytes);
	let binary = "";
	for (const byte of bytes) binary += String.fromCharCode(byte);
	return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_");
}
