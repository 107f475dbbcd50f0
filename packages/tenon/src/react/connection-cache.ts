import type { ActorError } from "../protocol/errors.js";

/** What the cache needs of a connection. */
export interface CachedConn {
	onError(callback: (error: ActorError) => void): () => void;
	onOpen(callback: () => void): () => void;
	dispose(): Promise<void>;
}

/** One shared connection, and who uses it. */
export interface CacheEntry<C extends CachedConn> {
	readonly conn: C;
	/** The last error the server reported on it (undefined once it connects again). */
	error: ActorError | undefined;
	refs: number;
	/** A dispose waiting to see whether a user comes back (strict mode, a re-render with a new key). */
	disposeTimer: ReturnType<typeof setTimeout> | undefined;
	/** Listeners of `error`. */
	readonly errorListeners: Set<() => void>;
}

/**
 * The connections components share: one per actor and params, opened by the
 * first component that needs it and closed a moment after the last one let
 * go (so React's strict mode, which mounts, unmounts and mounts again, opens
 * one connection, not two).
 */
export class ConnectionCache<C extends CachedConn> {
	readonly #entries = new Map<string, CacheEntry<C>>();
	readonly #graceMs: number;

	constructor(graceMs = 50) {
		this.#graceMs = graceMs;
	}

	/** Connections open now (for tests and devtools). */
	get size(): number {
		return this.#entries.size;
	}

	/** The shared connection for `key`, opened with `open` if there is none. */
	acquire(key: string, open: () => C): CacheEntry<C> {
		let entry = this.#entries.get(key);
		if (entry === undefined) {
			const conn = open();
			const created: CacheEntry<C> = {
				conn,
				error: undefined,
				refs: 0,
				disposeTimer: undefined,
				errorListeners: new Set(),
			};
			const notify = () => {
				for (const listener of [...created.errorListeners]) listener();
			};
			conn.onError((error) => {
				created.error = error;
				notify();
			});
			// Connected (again): the error that came before, a refusal the
			// client retried past or a dropped socket, no longer holds.
			conn.onOpen(() => {
				if (created.error === undefined) return;
				created.error = undefined;
				notify();
			});
			this.#entries.set(key, created);
			entry = created;
		}
		if (entry.disposeTimer !== undefined) {
			clearTimeout(entry.disposeTimer);
			entry.disposeTimer = undefined;
		}
		entry.refs++;
		return entry;
	}

	/** A user lets go; the connection closes once nobody came back for a moment. */
	release(key: string): void {
		const entry = this.#entries.get(key);
		if (entry === undefined) return;
		entry.refs--;
		if (entry.refs > 0) return;
		entry.disposeTimer = setTimeout(() => {
			if (entry.refs > 0) return;
			this.#entries.delete(key);
			void entry.conn.dispose();
		}, this.#graceMs);
	}
}
