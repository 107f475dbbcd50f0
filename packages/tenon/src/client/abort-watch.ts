// Calls waiting on an AbortSignal, behind one listener per signal.

/** The callbacks waiting on each signal, and the one listener they share. */
const watched = new WeakMap<AbortSignal, { callbacks: Set<() => void>; listener: () => void }>();

/**
 * Calls `onAbort` once when `signal` aborts; the function returned stops
 * waiting. Every call waiting on one signal shares one listener on it: many
 * concurrent calls sharing a signal would otherwise pass Node's limit of 10
 * listeners and print a `MaxListenersExceededWarning`. Once the last call
 * stopped waiting, the signal has no listener of the client's left.
 */
export function watchAbort(signal: AbortSignal, onAbort: () => void): () => void {
	let entry = watched.get(signal);
	if (entry === undefined) {
		const callbacks = new Set<() => void>();
		const listener = () => {
			watched.delete(signal);
			for (const callback of [...callbacks]) callback();
		};
		entry = { callbacks, listener };
		watched.set(signal, entry);
		signal.addEventListener("abort", listener, { once: true });
	}
	const current = entry;
	current.callbacks.add(onAbort);
	return () => {
		if (!current.callbacks.delete(onAbort) || current.callbacks.size > 0) return;
		if (watched.get(signal) === current) watched.delete(signal);
		signal.removeEventListener("abort", current.listener);
	};
}
