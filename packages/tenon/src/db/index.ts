// Public entry point of `tenon/db`: a SQLite database per actor.

import type { DatabaseProvider } from "../actor/database.js";
import { openActorDatabase } from "./open.js";
import type { SqlDatabase } from "./sql-database.js";

export type { DatabaseHost, DatabaseProvider, OpenedDatabase } from "../actor/database.js";
export {
	DatabaseError,
	type DatabaseErrorCode,
	type Row,
	type SqlArg,
	type SqlArgs,
	type SqlDatabase,
} from "./sql-database.js";
export type { SqlValue } from "./sqlite.js";

/** Options of {@link db}. */
export interface DbOptions {
	/**
	 * Creates or migrates the schema. Runs on every wake before anything else
	 * uses the database, inside a transaction: if it throws, everything it did
	 * is rolled back and the actor does not start. Make it idempotent
	 * (`CREATE TABLE IF NOT EXISTS ...`).
	 */
	onMigrate?: (db: SqlDatabase) => unknown;
}

/**
 * Gives an actor its own SQLite database, stored with its state (memory,
 * lmdb, postgres): `c.db.execute(sql, ...params)` and `c.db.transaction(fn)`.
 * Changes commit with the actor's turn, so they are durable before its reply
 * and atomic with its state changes.
 *
 * @example
 * db: db({
 *   onMigrate: (db) => db.execute("CREATE TABLE IF NOT EXISTS todos (id INTEGER PRIMARY KEY, title TEXT)"),
 * }),
 */
export function db(options: DbOptions = {}): DatabaseProvider<SqlDatabase> {
	return {
		async open(host) {
			const database = await openActorDatabase(host);
			try {
				const migrate = options.onMigrate;
				if (migrate) await database.transaction((tx) => migrate(tx));
			} catch (error) {
				database.close();
				throw error;
			}
			const client: SqlDatabase = {
				execute: (sql, ...args) => database.execute(sql, ...args),
				transaction: (fn) => database.transaction(fn),
			};
			return { client, close: () => database.close() };
		},
	};
}
