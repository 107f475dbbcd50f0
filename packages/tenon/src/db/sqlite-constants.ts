// SQLite's codes and the error and value types the database module uses (sqlite.ts).

/** sqlite3_limit's ids used here (see sqlite.org/c3ref/c_limit_attached.html). */
export const SQLITE_LIMIT_LENGTH = 0;
export const SQLITE_LIMIT_COLUMN = 2;

/** Result codes used here (see sqlite.org/rescode.html). */
export const SQLITE = {
	OK: 0,
	ERROR: 1,
	NOMEM: 7,
	INTERRUPT: 9,
	FULL: 13,
	CONSTRAINT: 19,
	TOOBIG: 18,
	AUTH: 23,
	ROW: 100,
	DONE: 101,
	INTEGER: 1,
	FLOAT: 2,
	TEXT: 3,
	BLOB: 4,
	NULL: 5,
	OPEN_READWRITE: 0x02,
	OPEN_CREATE: 0x04,
	OPEN_READONLY: 0x01,
	TRANSIENT: -1,
} as const;

/** A value SQLite stores: integer, real, text, blob or null. */
export type SqlValue = number | bigint | string | Uint8Array | null;

/** An error SQLite reported, with its result code. */
export class SqliteError extends Error {
	readonly code: number;
	constructor(message: string, code: number) {
		super(message);
		this.name = "SqliteError";
		this.code = code;
	}
}
