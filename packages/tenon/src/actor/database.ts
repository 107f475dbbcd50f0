import type { Clock } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import type { Entry, KeyRange } from "../storage/interfaces.js";

/** What a database provider gets from the actor it serves. */
export interface DatabaseHost {
	readonly actorId: string;
	readonly log: Logger;
	readonly clock: Clock;
	/** Reads the actor's stored entries in `range` (including writes not yet committed). */
	list(range: KeyRange): Promise<Entry[]>;
	/** Buffered writes: committed with the actor's current turn. */
	put(key: Uint8Array, value: Uint8Array): void;
	delete(key: Uint8Array): void;
	deleteRange(range: KeyRange): void;
	/** The actor's database limits. */
	readonly limits: {
		maxSize: number;
		statementTimeout: number;
		transactionTimeout: number;
	};
}

/** A database opened for one wake of an actor. */
export interface OpenedDatabase<D> {
	/** What the actor sees as `c.db`. */
	readonly client: D;
	/** Closes it (the actor stops); pending writes were already handed over. */
	close(): void;
}

/**
 * The `db` option of an actor: `db()` from `tenon/db` or `tenon/db/drizzle`.
 * `D` is the type of `c.db`.
 */
export interface DatabaseProvider<D> {
	/** Phantom: the type of `c.db`. */
	readonly __client?: D;
	/** Opens the actor's database (and runs its migrations) when the actor wakes. */
	open(host: DatabaseHost): Promise<OpenedDatabase<D>>;
}
