// The errors an actor's database gives its callers: SQLite's result codes as
// DatabaseError codes, with the limit that was met named.
import { DatabaseError, type DatabaseLimits } from "./sql-database.js";
import { SQLITE, SqliteError } from "./sqlite.js";

/** `error` as a caller sees it: a SqliteError becomes a DatabaseError; anything else as it is. */
export function databaseErrorOf(error: unknown, limits: DatabaseLimits): unknown {
	if (!(error instanceof SqliteError)) return error;
	const primary = error.code & 0xff;
	switch (primary) {
		case SQLITE.CONSTRAINT:
			return new DatabaseError("constraint", error.message, error.code);
		case SQLITE.FULL:
			return new DatabaseError(
				"full",
				`The database reached its size limit of ${limits.maxSize} bytes (maxDatabaseSize), or its temporary data (temporary tables, sorts) twice that`,
				error.code,
			);
		case SQLITE.INTERRUPT:
			return new DatabaseError(
				"statement_timeout",
				`The statement ran longer than ${limits.statementTimeout} ms and was interrupted`,
				error.code,
			);
		case SQLITE.AUTH:
			// Refused by the actor's authorizer (db/actor-authorizer.ts), which cannot say why.
			return new DatabaseError(
				"sql_error",
				`${error.message}: an actor's SQL may ATTACH only a temporary database (''), and may read but not set temp_store, cache_size, cache_spill, mmap_size and the process-wide limits (docs/sqlite.md)`,
				error.code,
			);
		case SQLITE.TOOBIG:
			return new DatabaseError("too_big", error.message, error.code);
		case SQLITE.NOMEM:
			// Past the statement's bound on SQLite's shared heap (heap-growth.ts), or the heap's end.
			return new DatabaseError(
				"too_big",
				`The statement needed more memory than one statement may take${limits.maxHeapGrowth === undefined ? "" : ` (${limits.maxHeapGrowth} bytes: four times the longest value, and 32 MiB)`}: hold fewer long values at once`,
				error.code,
			);
		default:
			return new DatabaseError("sql_error", error.message, error.code);
	}
}

/**
 * A result past `max` bytes (maxDatabaseSize): a result holds at most what
 * the database may. Before 2026-11-26 a join or generated rows with a count a
 * client chose built hundreds of megabytes before the statement timeout.
 */
export function resultTooBig(max: number): DatabaseError {
	return new DatabaseError(
		"too_big",
		`The result is larger than this database may be (${max} bytes, maxDatabaseSize): ask for fewer rows`,
	);
}
