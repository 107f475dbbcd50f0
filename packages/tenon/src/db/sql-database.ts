// The public interface of an actor's SQLite database (`c.db`), its values,
// errors and limits; ActorDatabase (database.ts) implements it.

import type { SqlValue } from "./sqlite.js";

/** A value a statement parameter may take. */
export type SqlArg =
	| number
	| bigint
	| string
	| boolean
	| Uint8Array
	| ArrayBuffer
	| null
	| undefined;

/** A result row, keyed by column name. */
export type Row = Record<string, SqlValue>;

/** Parameters: positional values, or one object of named values (`:name`, `@name`, `$name`). */
export type SqlArgs = SqlArg[] | [Record<string, SqlArg>];

/** What went wrong with a database call. */
export type DatabaseErrorCode =
	| "sql_error"
	| "constraint"
	| "full"
	| "statement_timeout"
	| "transaction_timeout"
	| "transaction_aborted"
	| "busy"
	| "transaction_open"
	| "too_big"
	| "closed";

/**
 * An error from the actor's database. It is not an `ActorError`: left
 * uncaught in an action, the caller sees `core/internal_error` (SQL and
 * schema details stay in the server log). Catch it and throw a `UserError`
 * to tell callers.
 */
export class DatabaseError extends Error {
	readonly code: DatabaseErrorCode;
	/** SQLite's extended result code, when SQLite reported the error. */
	readonly sqliteCode: number | undefined;

	constructor(code: DatabaseErrorCode, message: string, sqliteCode?: number) {
		super(message);
		this.name = "DatabaseError";
		this.code = code;
		this.sqliteCode = sqliteCode;
	}
}

/** The raw SQL interface: `c.db` of `db()`, and `tx` inside `transaction()`. */
export interface SqlDatabase {
	/**
	 * Runs SQL (one statement, or a script of several) and returns the rows
	 * of the last statement that returns rows.
	 *
	 * @example
	 * await c.db.execute("INSERT INTO todos (title) VALUES (?)", title);
	 * const rows = await c.db.execute("SELECT * FROM todos WHERE id = :id", { id });
	 */
	execute<R = Row>(sql: string, ...args: SqlArgs): Promise<R[]>;
	/**
	 * Runs `fn` in a transaction: committed if it resolves, rolled back if it
	 * throws. Use `tx` inside; other calls on the database wait until it ends.
	 */
	transaction<T>(fn: (tx: SqlDatabase) => T | Promise<T>): Promise<T>;
}

/** Limits of one actor's database. */
export interface DatabaseLimits {
	/** Largest database file, in bytes. */
	maxSize: number;
	/** Longest a statement may run, in ms. */
	statementTimeout: number;
	/** Longest a `transaction()` may stay open, in ms. */
	transactionTimeout: number;
	/** Most one statement may grow SQLite's shared heap by, in bytes (heap-growth.ts; absent: no bound). */
	maxHeapGrowth?: number;
}

/** Rows as arrays, with their column names. */
export interface ResultSet {
	columns: string[];
	rows: SqlValue[][];
}

/** Rows as objects keyed by column name (a later column of the same name wins). */
export function toObjects(result: ResultSet): Row[] {
	const { columns, rows } = result;
	return rows.map((values) => {
		const row: Row = {};
		for (let i = 0; i < columns.length; i++) row[columns[i] as string] = values[i] as SqlValue;
		return row;
	});
}
