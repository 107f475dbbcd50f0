// A connection's calls waiting for their answers (client/connection.ts), and the
// secret a connection resumes with.

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
	const onAbort = () => {
		forget();
		reject(signal.reason);
	};
	if (!signal.aborted) signal.addEventListener("abort", onAbort, { once: true });
	const settle = () => signal.removeEventListener("abort", onAbort);
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
