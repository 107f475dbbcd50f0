import type { Entry } from "../storage/interfaces.js";
import {
	CONSOLE_MAX_COLUMNS,
	CONSOLE_MAX_RESULT_BYTES,
	CONSOLE_MAX_SCRATCH_BYTES,
	CONSOLE_MAX_VALUE_BYTES,
	type ConsoleBounds,
	consoleError,
	LOOP_BOUNDS,
	programRefusal,
	READ_KEYWORDS,
	ReadOnlyQueryError,
	sqlRefusal,
	valueBytes,
	withConsoleAuthorizer,
	withoutQueryFlattening,
} from "./console-guards.js";
import { SQLITE_LIMIT_LIKE_PATTERN_LENGTH } from "./open.js";
import { PageFile } from "./page-file.js";
import {
	Connection,
	loadSqlite,
	SQLITE,
	SQLITE_LIMIT_COLUMN,
	SQLITE_LIMIT_LENGTH,
	SqliteError,
	type SqlValue,
} from "./sqlite.js";
import type { SqliteModule } from "./sqlite-module.js";
import { createVfs, type TenonVfs, VFS_NAME } from "./vfs.js";

/** A table or view of an actor's database. */
export interface DatabaseTable {
	name: string;
	type: "table" | "view";
	sql: string;
	columns: { name: string; type: string; notNull: boolean; primaryKey: boolean }[];
	/** Why its columns could not be read (a view over a table since dropped). */
	error?: string;
}

/** A page of rows from one table or view. */
export interface DatabaseRows {
	table: string;
	columns: string[];
	rows: SqlValue[][];
	total: number;
	limit: number;
	offset: number;
	/** True when the page stopped short of `limit` rows past 16 MiB of values. */
	truncated: boolean;
}

// The inspector's reads of an actor's database, on a copy of its committed
// pages: run in a worker thread (inspect-worker.ts, started by inspect-thread.ts)
// or, where there are no worker threads, on the event loop.

let inspectorVfs: TenonVfs | undefined;
let snapshots = 0;

/**
 * Opens a read-only copy of an actor's committed database from its stored
 * `entries` (the actor need not be awake) and hands it to `use`.
 */
async function withSnapshot<T>(
	entries: readonly Entry[],
	use: (connection: Connection, module: SqliteModule) => T,
	onOpened?: () => void,
): Promise<T> {
	const { module, api } = await loadSqlite();
	if (inspectorVfs === undefined) {
		const created = createVfs(module, `${VFS_NAME}-inspect`, CONSOLE_MAX_SCRATCH_BYTES);
		api.vfs_register(created as never, false);
		inspectorVfs = created;
	}
	const name = `/inspect-${++snapshots}.db`;
	inspectorVfs.attach(name, PageFile.fromEntries(entries));
	let connection: Connection | undefined;
	try {
		connection = Connection.open(module, name, `${VFS_NAME}-inspect`, SQLITE.OPEN_READONLY);
		onOpened?.();
		return use(connection, module);
	} finally {
		connection?.close();
		inspectorVfs.detach(name);
	}
}

function query(connection: Connection, sql: string, args: unknown[] = []): SqlValue[][] {
	const rows: SqlValue[][] = [];
	connection.eachStatement(sql, (statement) => {
		if (args.length > 0) statement.bind(args);
		while (statement.step()) rows.push(statement.values());
	});
	return rows;
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** The tables and views of a database stored as `entries`. */
export function schemaOf(
	entries: readonly Entry[],
	timeoutMs: number,
	onOpened?: () => void,
): Promise<DatabaseTable[]> {
	return withSnapshot(
		entries,
		(connection, module) =>
			interrupted(module, connection, timeoutMs, () =>
				query(
					connection,
					"SELECT name, type, coalesce(sql, '') FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name",
				).map(([name, type, sql]): DatabaseTable => {
					const table = {
						name: name as string,
						type: type as "table" | "view",
						sql: sql as string,
					};
					try {
						const columns = query(
							connection,
							'SELECT name, type, "notnull", pk FROM pragma_table_info(?)',
							[name],
						).map(([column, columnType, notNull, pk]) => ({
							name: column as string,
							type: columnType as string,
							notNull: notNull === 1,
							primaryKey: (pk as number) > 0,
						}));
						return { ...table, columns };
					} catch (error) {
						// One view that no longer resolves hid every table (a review, 2026-11-26).
						if (!(error instanceof SqliteError) || error.code === SQLITE.INTERRUPT) throw error;
						return { ...table, columns: [], error: error.message };
					}
				}),
			),
		onOpened,
	);
}

/** Bytes of a text the rows view shows; past it, a preview (Statement.previewValues). */
export const ROW_TEXT_PREVIEW_BYTES = 2_048;
/** Bytes of a blob the rows view shows; past it, a preview of its first ones and its length. */
export const ROW_BLOB_PREVIEW_BYTES = 64;

/**
 * A page of rows of `table` (a table or view that exists; undefined
 * otherwise), interrupted past `timeoutMs` (a view can take any time, and
 * so can counting a large table).
 */
export function rowsOf(
	entries: readonly Entry[],
	table: string,
	limit: number,
	offset: number,
	timeoutMs: number,
	onOpened?: () => void,
): Promise<DatabaseRows | undefined> {
	return withSnapshot(
		entries,
		(connection, module) =>
			interrupted(module, connection, timeoutMs, () => {
				const known = query(
					connection,
					"SELECT 1 FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ?",
					[table],
				);
				if (known.length === 0) return undefined;
				let columns: string[] = [];
				const rows: SqlValue[][] = [];
				let bytes = 0;
				let truncated = false;
				connection.eachStatement(`SELECT * FROM ${quote(table)} LIMIT ? OFFSET ?`, (statement) => {
					statement.bind([limit, offset]);
					columns = statement.columns;
					while (statement.step()) {
						// Values as previews: whole, a 48 MiB text made a 288 MB answer the event loop
						// wrote for 1.1 to 1.5 s, to a read-only token (an attacker probe, 2026-11-29).
						const row = statement.previewValues(
							ROW_TEXT_PREVIEW_BYTES,
							ROW_BLOB_PREVIEW_BYTES,
						) as SqlValue[];
						// A blob's preview is an object: counted as the JSON it is written as.
						for (const value of row)
							bytes +=
								typeof value === "object" && value !== null && !(value instanceof Uint8Array)
									? JSON.stringify(value).length
									: valueBytes(value);
						rows.push(row);
						if (bytes > CONSOLE_MAX_RESULT_BYTES) {
							truncated = rows.length < limit;
							break;
						}
					}
				});
				const [[total]] = query(connection, `SELECT count(*) FROM ${quote(table)}`) as [[number]];
				return { table, columns, rows, total, limit, offset, truncated };
			}),
		onOpened,
	);
}

/**
 * Runs `use` with SQLite's progress handler interrupting `connection` past
 * `timeoutMs`; a statement it interrupted throws {@link ReadOnlyQueryError}
 * `timeout`.
 */
function interrupted<T>(
	module: SqliteModule,
	connection: Connection,
	timeoutMs: number,
	use: () => T,
): T {
	const started = performance.now();
	const key = module._sqlite3_malloc(4);
	module.HEAP32[key >> 2] = 0;
	module.setCallback(key, () => (performance.now() - started > timeoutMs ? 1 : 0));
	// Asked at the first jump of SQLite's program after every 32 steps (it asks at jumps only):
	// about every row or two of a scan. Every 1,000 steps, a LIKE in each row's WHERE ran 100
	// rows between two checks, 6.5 s past a 2 s limit (a review, 2026-11-29). Every step, the
	// calls out of the module (about 1 µs each) made a 300,000-row scan 5 times slower; at 32,
	// no slower than at 1,000 (within the noise of one run).
	module._libprogress_progress_handler(connection.pointer, 32, 1, key);
	try {
		return use();
	} catch (error) {
		if (performance.now() - started > timeoutMs)
			throw new ReadOnlyQueryError("timeout", `the query ran past ${Math.round(timeoutMs)} ms`);
		// SQLite's own refusal (a view over a dropped table): the caller's `sql_error`.
		if (error instanceof SqliteError) throw new ReadOnlyQueryError("sql_error", error.message);
		throw error;
	} finally {
		module._libprogress_progress_handler(connection.pointer, 0, 0, key);
		module.deleteCallback(key);
		module._sqlite3_free(key);
	}
}

/** The result of a read-only query: at most `limit` rows, `truncated` when more were left. */
export interface QueryResult {
	columns: string[];
	rows: SqlValue[][];
	truncated: boolean;
	elapsedMs: number;
}

/**
 * Runs one read-only SQL statement against a snapshot of the committed
 * database. Three locks keep it read-only: the snapshot is opened read-only,
 * `PRAGMA query_only` is on, and a statement SQLite does not call read-only
 * (`sqlite3_stmt_readonly`), or that does not start with SELECT, WITH,
 * EXPLAIN, VALUES or PRAGMA, is refused before it runs; so are the pragmas
 * of {@link PROCESS_PRAGMAS}, however spelt, and the functions of
 * {@link CONSOLE_REFUSED_FUNCTIONS}. A statement running
 * past `timeoutMs` is interrupted; no string or blob it makes or reads may
 * exceed {@link CONSOLE_MAX_VALUE_BYTES}, nor a result have more than
 * {@link CONSOLE_MAX_COLUMNS} columns, and the result stops at `limit` rows
 * or {@link CONSOLE_MAX_RESULT_BYTES}.
 */
export function queryOf(
	entries: readonly Entry[],
	sql: string,
	limit: number,
	timeoutMs: number,
	onOpened?: () => void,
	bounds: ConsoleBounds = LOOP_BOUNDS,
): Promise<QueryResult> {
	return withSnapshot(
		entries,
		(connection, module) => {
			query(connection, "PRAGMA query_only = 1");
			withoutQueryFlattening(module, connection);
			module._sqlite3_limit(connection.pointer, SQLITE_LIMIT_LENGTH, CONSOLE_MAX_VALUE_BYTES);
			module._sqlite3_limit(connection.pointer, SQLITE_LIMIT_COLUMN, CONSOLE_MAX_COLUMNS);
			module._sqlite3_limit(
				connection.pointer,
				SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
				bounds.likePattern,
			);
			// A statement that throws from inside the module (a JavaScript stack overflow) leaves its
			// stack pointer short: put back before anything calls into it again (wasm-stack.ts).
			// The console did not, and six queries broke SQLite for every actor (an audit, 2026-11-27).
			const stack = module.wasmStack;
			const stackPointer = stack?.save();
			const restoreStack = () => {
				if (stackPointer !== undefined) stack?.restore(stackPointer);
			};
			const started = performance.now();
			let refusal: string | undefined;
			const noteRefused = (why: string) => {
				refusal ??= why;
			};
			return interrupted(module, connection, timeoutMs, () =>
				withConsoleAuthorizer(module, connection, bounds.refusedFunctions, noteRefused, () => {
					const early = sqlRefusal(sql);
					if (early !== undefined) throw new ReadOnlyQueryError("sql_error", early);
					let prepared: ReturnType<Connection["prepareFirst"]>;
					try {
						prepared = connection.prepareFirst(sql);
					} catch (error) {
						restoreStack();
						throw consoleError(error, refusal);
					}
					const { statement, hasMore } = prepared;
					if (statement === undefined)
						throw new ReadOnlyQueryError("sql_error", "no SQL statement");
					try {
						if (hasMore)
							throw new ReadOnlyQueryError("sql_error", "one statement at a time, please");
						if (!statement.readonly || !READ_KEYWORDS.test(sql))
							throw new ReadOnlyQueryError("read_only", "the SQL console only reads");
						const refused = programRefusal(module, statement.pointer, bounds.patternMatches);
						if (refused !== undefined) throw new ReadOnlyQueryError("sql_error", refused);
						const rows: SqlValue[][] = [];
						let truncated = false;
						let bytes = 0;
						try {
							while (statement.step()) {
								if (rows.length === limit) {
									truncated = true;
									break;
								}
								const row = statement.values();
								for (const value of row) bytes += valueBytes(value);
								if (bytes > CONSOLE_MAX_RESULT_BYTES) {
									truncated = true;
									break;
								}
								rows.push(row);
							}
						} catch (error) {
							restoreStack();
							throw consoleError(error);
						}
						return {
							columns: statement.columns,
							rows,
							truncated,
							elapsedMs: Math.round(performance.now() - started),
						};
					} finally {
						statement.finalize();
					}
				}),
			);
		},
		onOpened,
	);
}
