import type { DatabaseHost } from "../actor/database.js";
import type { ResolvedActorOptions } from "../actor/options.js";
import type { Clock } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import type { PendingWrites } from "./pending-writes.js";

/**
 * What an actor's SQLite database sees of its actor: its pages go through the
 * actor's buffered writes, so they commit with the turn like any other write.
 */
export function databaseHost(
	actorId: string,
	log: Logger,
	clock: Clock,
	writes: PendingWrites,
	options: ResolvedActorOptions,
): DatabaseHost {
	return {
		actorId,
		log,
		clock,
		list: (range) => writes.list(range),
		put: (key, value) => writes.put(key, value),
		delete: (key) => writes.delete(key),
		deleteRange: (range) => writes.deleteRange(range),
		limits: {
			maxSize: options.maxDatabaseSize,
			statementTimeout: options.dbStatementTimeout,
			transactionTimeout: options.dbTransactionTimeout,
		},
	};
}
