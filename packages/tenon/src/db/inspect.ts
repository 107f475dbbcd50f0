import type { ActorStore } from "../storage/interfaces.js";
import { SQLITE_LIMIT_LIKE_PATTERN_LENGTH } from "./open.js";
import { DATABASE_RANGE, PageFile } from "./page-file.js";
import {
	Connection,
	loadSqlite,
	SQLITE,
	SQLITE_LIMIT_COLUMN,
	SQLITE_LIMIT_LENGTH,
	SqliteError,
	type SqlValue,
} from "./sqlite.js";
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

let inspectorVfs: TenonVfs | undefined;
let snapshots = 0;

/**
 * Opens a read-only copy of an actor's committed database (the actor need
 * not be awake) and hands it to `use`.
 */
async function withSnapshot<T>(
	store: ActorStore,
	actorId: string,
	use: (connection: Connection) => T,
): Promise<T | undefined> {
	const entries = await store.list(actorId, DATABASE_RANGE);
	if (entries.length === 0) return undefined;
	const { module, api } = await loadSqlite();
	if (inspectorVfs === undefined) {
		const created = createVfs(module, `${VFS_NAME}-inspect`, CONSOLE_MAX_SCRATCH_BYTES);
		api.vfs_register(created as never, false);
		inspectorVfs = created;
	}
	const name = `/inspect-${actorId}-${++snapshots}.db`;
	inspectorVfs.attach(name, PageFile.fromEntries(entries));
	let connection: Connection | undefined;
	try {
		connection = Connection.open(module, name, `${VFS_NAME}-inspect`, SQLITE.OPEN_READONLY);
		return use(connection);
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

/** The tables and views of an actor's database (undefined: it has none yet). */
export async function readDatabaseSchema(
	store: ActorStore,
	actorId: string,
	timeoutMs: number,
): Promise<DatabaseTable[] | undefined> {
	const { module } = await loadSqlite();
	return withSnapshot(store, actorId, (connection) =>
		interrupted(module, connection, timeoutMs, () =>
			query(
				connection,
				"SELECT name, type, coalesce(sql, '') FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name",
			).map(([name, type, sql]): DatabaseTable => {
				const table = { name: name as string, type: type as "table" | "view", sql: sql as string };
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
	);
}

/**
 * A page of rows of `table` (a table or view that exists; undefined
 * otherwise), interrupted past `timeoutMs` (a view can take any time, and
 * so can counting a large table).
 */
export async function readDatabaseRows(
	store: ActorStore,
	actorId: string,
	table: string,
	limit: number,
	offset: number,
	timeoutMs: number,
): Promise<DatabaseRows | undefined> {
	const { module } = await loadSqlite();
	return withSnapshot(store, actorId, (connection) =>
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
					const row = statement.values();
					for (const value of row) bytes += valueBytes(value);
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
	);
}

/**
 * Runs `use` with SQLite's progress handler interrupting `connection` past
 * `timeoutMs`; a statement it interrupted throws {@link ReadOnlyQueryError}
 * `timeout`.
 */
function interrupted<T>(
	module: Awaited<ReturnType<typeof loadSqlite>>["module"],
	connection: Connection,
	timeoutMs: number,
	use: () => T,
): T {
	const started = performance.now();
	const key = module._sqlite3_malloc(4);
	module.HEAP32[key >> 2] = 0;
	module.setCallback(key, () => (performance.now() - started > timeoutMs ? 1 : 0));
	module._libprogress_progress_handler(connection.pointer, 1_000, 1, key);
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

/** Why a console query was refused: `read_only` (it writes) or `sql_error` (SQLite's message). */
export class ReadOnlyQueryError extends Error {
	readonly reason: "read_only" | "sql_error" | "timeout";
	constructor(reason: "read_only" | "sql_error" | "timeout", message: string) {
		super(message);
		this.reason = reason;
	}
}

/**
 * Longest string or blob a console statement may make or read (SQLite's
 * `SQLITE_LIMIT_LENGTH` on the snapshot's own connection; the actor's is
 * untouched): larger stored values are read with `length()` or `substr()`.
 * SQLite's default is 1 GB: `randomblob(1000000000)` is one step for the
 * progress handler, so it ran for 25 s past the 2 s interrupt and grew the
 * process by gigabytes (an attacker probe, 2026-11-24).
 */
export const CONSOLE_MAX_VALUE_BYTES = 1024 * 1024;

/**
 * The longest LIKE or GLOB pattern a console statement takes (bytes). A
 * pattern is matched in one step, which the console's time limit cannot
 * interrupt: one of 10,000 bytes against a 1 MiB string held the loop for
 * 20 s (SQLite's default allows 50,000; an audit, 2026-11-27). Against the
 * longest value, 100 bytes take about 0.2 s.
 */
export const CONSOLE_MAX_LIKE_PATTERN = 100;

/**
 * Most bytes the inspector's statements may spill to scratch files (sorts, `DISTINCT`,
 * temporary b-trees) at once: past it SQLite fails the statement as on a full disk. A
 * `DISTINCT` over 400,000 random blobs, stopped only by its 2 s budget, had spilled hundreds
 * of MB into memory (an attacker probe, 2026-11-27).
 */
export const CONSOLE_MAX_SCRATCH_BYTES = 64 * 1024 * 1024;
/**
 * Most columns in a console result (`SQLITE_LIMIT_COLUMN`): a row is made
 * whole inside one step, so its columns times the value limit bound what
 * one step can allocate (2,000 columns of 16 MiB values blocked the server
 * for over a minute in review).
 */
export const CONSOLE_MAX_COLUMNS = 64;
/** Most bytes of values one console result holds; rows past it are left out (`truncated`). */
export const CONSOLE_MAX_RESULT_BYTES = 16 * 1024 * 1024;

/**
 * Characters a value takes in a result's JSON. A string counts its escapes:
 * counted by length, 16 MiB of control characters were 96 MB of JSON (each
 * `\u0001` six), and the Database tab fetched them every 3 s (an attacker
 * probe, 2026-11-28). Bytes as their base64.
 */
function valueBytes(value: SqlValue): number {
	if (typeof value === "string") {
		let size = value.length;
		for (let i = 0; i < value.length; i++) {
			const code = value.charCodeAt(i);
			if (code < 0x20) size += 5;
			else if (code === 0x22 || code === 0x5c) size += 1;
		}
		return size;
	}
	if (value instanceof Uint8Array) return Math.ceil(value.byteLength / 3) * 4;
	return 8;
}

/**
 * What a console statement may start with (after comments): ATTACH and
 * DETACH count as read-only for SQLite, but would open other files.
 */
const READ_KEYWORDS =
	/^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*(?:SELECT|WITH|EXPLAIN|VALUES|PRAGMA)\b/i;

/**
 * Pragmas that change SQLite's settings for the whole process (every actor's
 * database shares them): SQLite calls them read-only, as they write no file.
 * Refused by an authorizer, which SQLite asks however the statement spells
 * the name: a pattern over the SQL text let `PRAGMA 'hard_heap_limit' = 1`
 * (a quoted name) set the process's limit (a review, 2026-11-26).
 */
const PROCESS_PRAGMAS = new Set([
	"hard_heap_limit",
	"soft_heap_limit",
	"threads",
	"temp_store_directory",
	"data_store_directory",
]);
/**
 * Functions the console does not run: one call takes time that grows with
 * the product of its arguments' lengths, in one step, which the console's
 * interrupt cannot cut. `instr()` of a 200 KB string and a 20 KB one held
 * the loop 7 s, `replace()` as long, `trim()` of a 200 KB string with 20 KB
 * of characters 35 s, `unhex()` of 100 KB with 20 KB of characters to
 * ignore 3.6 s; with values of 1 MiB, minutes (an audit and a review,
 * 2026-11-27). `LIKE` with a short pattern finds text instead
 * (`CONSOLE_MAX_LIKE_PATTERN`). A view that calls one is refused too; a
 * virtual generated column of the actor's schema is not (SQLite checks its
 * expression when it loads the schema, without asking the authorizer).
 */
export const CONSOLE_REFUSED_FUNCTIONS: ReadonlySet<string> = new Set([
	"instr",
	"replace",
	"trim",
	"ltrim",
	"rtrim",
	"unhex",
]);

/** sqlite3_set_authorizer's action codes of a PRAGMA and a function call, and its answers. */
const AUTH_PRAGMA = 19;
const AUTH_FUNCTION = 31;
const AUTH_OK = 0;
const AUTH_DENY = 1;
/** SQLITE_AUTH: what a statement the authorizer refused fails with. */
const SQLITE_AUTH = 23;
const SQLITE_FULL = 13;

/**
 * Runs `use` with {@link PROCESS_PRAGMAS} and {@link CONSOLE_REFUSED_FUNCTIONS}
 * refused on `connection`; `refused` is told the function it refused.
 */
function withConsoleAuthorizer<T>(
	module: Awaited<ReturnType<typeof loadSqlite>>["module"],
	connection: Connection,
	refused: (functionName: string) => void,
	use: () => T,
): T {
	const key = module._sqlite3_malloc(4);
	module.HEAP32[key >> 2] = 0;
	module.setCallback(key, (_app: unknown, action: unknown, first: unknown, second: unknown) => {
		if (action === AUTH_PRAGMA)
			return PROCESS_PRAGMAS.has(module.UTF8ToString(first as number).toLowerCase())
				? AUTH_DENY
				: AUTH_OK;
		if (action !== AUTH_FUNCTION) return AUTH_OK;
		// The function's name is the second argument (the first is null).
		const name = module.UTF8ToString(second as number).toLowerCase();
		if (!CONSOLE_REFUSED_FUNCTIONS.has(name)) return AUTH_OK;
		refused(name);
		return AUTH_DENY;
	});
	module._libauthorizer_set_authorizer(connection.pointer, 1, key);
	try {
		return use();
	} finally {
		module._libauthorizer_set_authorizer(connection.pointer, 0, key);
		module.deleteCallback(key);
		module._sqlite3_free(key);
	}
}

/**
 * The console's answer to `error` (SQLite's): `read_only` for what the
 * authorizer refused; `sql_error` for a function it refused (`refusedFunction`).
 */
function consoleError(error: unknown, refusedFunction?: string): ReadOnlyQueryError {
	// SQLite says "not authorized to use function" with a plain error code.
	if (refusedFunction !== undefined)
		return new ReadOnlyQueryError(
			"sql_error",
			`the SQL console does not run ${refusedFunction}(): one call over long values cannot be interrupted (use LIKE)`,
		);
	if (error instanceof SqliteError && (error.code & 0xff) === SQLITE_AUTH)
		return new ReadOnlyQueryError("read_only", "the SQL console only reads");
	if (error instanceof SqliteError && (error.code & 0xff) === SQLITE_FULL)
		return new ReadOnlyQueryError(
			"sql_error",
			`the query needed more than ${CONSOLE_MAX_SCRATCH_BYTES / 1024 / 1024} MiB of temporary space (sort or group fewer or smaller values)`,
		);
	return new ReadOnlyQueryError("sql_error", (error as Error).message);
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
 * or {@link CONSOLE_MAX_RESULT_BYTES}. Undefined when the actor has no database yet.
 */
export async function runReadOnlyQuery(
	store: ActorStore,
	actorId: string,
	sql: string,
	limit: number,
	timeoutMs: number,
): Promise<QueryResult | undefined> {
	const { module } = await loadSqlite();
	return withSnapshot(store, actorId, (connection) => {
		query(connection, "PRAGMA query_only = 1");
		module._sqlite3_limit(connection.pointer, SQLITE_LIMIT_LENGTH, CONSOLE_MAX_VALUE_BYTES);
		module._sqlite3_limit(connection.pointer, SQLITE_LIMIT_COLUMN, CONSOLE_MAX_COLUMNS);
		module._sqlite3_limit(
			connection.pointer,
			SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
			CONSOLE_MAX_LIKE_PATTERN,
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
		let refusedFunction: string | undefined;
		const noteRefused = (name: string) => {
			refusedFunction = name;
		};
		return interrupted(module, connection, timeoutMs, () =>
			withConsoleAuthorizer(module, connection, noteRefused, () => {
				let prepared: ReturnType<Connection["prepareFirst"]>;
				try {
					prepared = connection.prepareFirst(sql);
				} catch (error) {
					restoreStack();
					throw consoleError(error, refusedFunction);
				}
				const { statement, hasMore } = prepared;
				if (statement === undefined) throw new ReadOnlyQueryError("sql_error", "no SQL statement");
				try {
					if (hasMore) throw new ReadOnlyQueryError("sql_error", "one statement at a time, please");
					if (!statement.readonly || !READ_KEYWORDS.test(sql))
						throw new ReadOnlyQueryError("read_only", "the SQL console only reads");
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
	});
}
