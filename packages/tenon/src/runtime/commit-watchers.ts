/**
 * Listeners of actors' durable commits, by actor id: what the inspector's
 * live state view follows. With nobody watching, a commit costs one size check.
 */
export class CommitWatchers {
	readonly #watchers = new Map<string, Set<() => void>>();

	/** Calls `listener` after each durable commit of `actorId`; returns the unsubscribe. */
	watch(actorId: string, listener: () => void): () => void {
		let listeners = this.#watchers.get(actorId);
		if (listeners === undefined) {
			listeners = new Set();
			this.#watchers.set(actorId, listeners);
		}
		listeners.add(listener);
		return () => {
			listeners.delete(listener);
			if (listeners.size === 0 && this.#watchers.get(actorId) === listeners)
				this.#watchers.delete(actorId);
		};
	}

	/** How many listeners follow any actor. */
	get size(): number {
		let count = 0;
		for (const listeners of this.#watchers.values()) count += listeners.size;
		return count;
	}

	/** A commit of `actorId` is durable. */
	notify(actorId: string): void {
		if (this.#watchers.size === 0) return;
		const listeners = this.#watchers.get(actorId);
		if (listeners === undefined) return;
		for (const listener of listeners) {
			try {
				listener();
			} catch {
				// A watcher's failure is its own; the commit is done either way.
			}
		}
	}
}
