// What keeps the inspector's SQL console (db/inspect.ts) read-only and short:
// its limits, the authorizer that refuses costly or process-wide statements, and
// its answers to what SQLite refused.

import { MAX_LIKE_PATTERN } from "./open.js";
import type { Connection, loadSqlite, SqlValue } from "./sqlite.js";
import { SqliteError } from "./sqlite.js";
import type { SqliteModule } from "./sqlite-module.js";

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
 * interrupt, in time that grows with the pattern times the value: one of
 * 10,000 bytes against a 1 MiB string held the loop 20 s (SQLite's default
 * allows 50,000; an audit, 2026-11-27), one of 100 bytes (`%aaa...b`) 0.5 s.
 * At 40 bytes, about 0.2 s.
 */
export const CONSOLE_MAX_LIKE_PATTERN = 40;

/**
 * Most LIKE and GLOB operators (or `like()`, `glob()` calls) in one console
 * statement, as compiled (see {@link programRefusal}). Each is one step, and
 * steps without a jump between them (one row's expression) run without a
 * check of the time limit: one row with 20 LIKEs of 100 bytes over a 1 MiB
 * value held the loop 9 to 10 s past the 2 s limit (an attacker probe,
 * 2026-11-28). Four take at most about 0.8 s.
 */
export const CONSOLE_MAX_PATTERN_MATCHES = 4;

/**
 * Most function calls in one console statement, as compiled (a view's and an
 * alias's wherever they are used). A call over a 1 MiB value (`upper()`,
 * `hex()`, `quote()`) takes 3 to 4 ms in one step: a statement of 100,000
 * characters held thousands of them in one row's expression, seconds past
 * the time limit. Two hundred (64 columns of two calls each fit) take at most
 * about 0.8 s; operators are bounded by {@link CONSOLE_MAX_STEPS}.
 */
export const CONSOLE_MAX_FUNCTION_CALLS = 200;

/**
 * Most steps in a console statement's compiled program. Steps with no jump between them (one
 * row's expression) run without a check of the time limit, and an operator on 1 MiB values
 * (`||`, `=`) takes about 1 ms: a program of 1,000 steps holds at most about a second of them.
 */
export const CONSOLE_MAX_STEPS = 1_000;

/**
 * The longest console statement (characters), checked before SQLite parses
 * it: a console statement needs no more, and the program's bounds above are
 * read from what SQLite compiled (100,000 characters, the limit before, held
 * about 15 s of comparisons of 1 MiB values in one row's expression).
 */
export const CONSOLE_MAX_SQL_CHARS = 5_000;

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
export function valueBytes(value: SqlValue): number {
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
export const READ_KEYWORDS =
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

/**
 * What one step of a console statement's program may cost, where it runs. On the event loop
 * (where no worker thread could start) nothing can cut a step short, so each is bounded
 * ({@link LOOP_BOUNDS}); on the console's worker thread, a read not answered 1 s after its time
 * limit has its worker terminated (inspect-thread.ts), which cuts a step too
 * ({@link THREAD_BOUNDS}).
 */
export interface ConsoleBounds {
	/** The longest LIKE or GLOB pattern (bytes). */
	readonly likePattern: number;
	/** Functions the authorizer refuses. */
	readonly refusedFunctions: ReadonlySet<string>;
	/** Most LIKE and GLOB in the compiled program ({@link programRefusal}). */
	readonly patternMatches: number;
}

/** On the loop: every bound of this file. */
export const LOOP_BOUNDS: ConsoleBounds = {
	likePattern: CONSOLE_MAX_LIKE_PATTERN,
	refusedFunctions: CONSOLE_REFUSED_FUNCTIONS,
	patternMatches: CONSOLE_MAX_PATTERN_MATCHES,
};

/**
 * On the worker thread: the actors' own pattern limit (past it, a pattern's recursion can
 * overflow the module's stack: wasm-stack.ts), every function, any number of LIKE or GLOB.
 * Before 2026-11-29 the loop's bounds applied here too, and refused legitimate queries (a LIKE
 * search over five columns, `replace()` of short values). The program's steps and calls stay
 * bounded: they bound its memory too (each argument of a call is a copy of its value: `max()`
 * of 2,370 copies of a 1 MiB value grew the worker to 2 GB, a probe of the lifted bounds).
 */
export const THREAD_BOUNDS: ConsoleBounds = {
	likePattern: MAX_LIKE_PATTERN,
	refusedFunctions: new Set(),
	patternMatches: Number.POSITIVE_INFINITY,
};

/**
 * Why `sql` is refused before SQLite compiles it, if it is: `NOT MATERIALIZED` makes every use
 * of a CTE a copy of it, copied again inside each copy, while the statement is compiled, before
 * any bound here is counted (five levels of ten, 1,188 characters, grew the process by 220 MiB,
 * a review, 2026-11-29). Comments are left out of the check; the words inside a string or a quoted
 * name are refused too.
 */
export function sqlRefusal(sql: string): string | undefined {
	const uncommented = sql.replace(/--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/g, " ");
	return /\bnot\s+materialized\b/i.test(uncommented)
		? "the SQL console does not take NOT MATERIALIZED (each use of the CTE would be compiled again)"
		: undefined;
}

/** sqlite3_set_authorizer's action codes of a PRAGMA and a function call, and its answers. */
const AUTH_PRAGMA = 19;
const AUTH_FUNCTION = 31;
const AUTH_OK = 0;
const AUTH_DENY = 1;
/** SQLITE_AUTH: what a statement the authorizer refused fails with. */
const SQLITE_AUTH = 23;
const SQLITE_FULL = 13;

/**
 * Runs `use` with {@link PROCESS_PRAGMAS} and `refusedFunctions` (see
 * {@link ConsoleBounds}) refused on `connection`; `refused` is told why, as the console answers it.
 */
export function withConsoleAuthorizer<T>(
	module: Awaited<ReturnType<typeof loadSqlite>>["module"],
	connection: Connection,
	refusedFunctions: ReadonlySet<string>,
	refused: (why: string) => void,
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
		if (!refusedFunctions.has(name)) return AUTH_OK;
		refused(
			`the SQL console does not run ${name}(): one call over long values cannot be interrupted (use LIKE)`,
		);
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
 * Why `statement`'s compiled program is refused, if it is: more than {@link CONSOLE_MAX_STEPS}
 * steps, {@link CONSOLE_MAX_FUNCTION_CALLS} function calls or {@link CONSOLE_MAX_PATTERN_MATCHES}
 * LIKE/GLOB. Counted in the program (`sqlite3_stmt_explain`), not in the SQL as written: an
 * alias, a subquery's or a CTE's column is compiled again wherever it is used, and a LIKE
 * written once but referenced 40 times in one row's expression ran 5.6 s past the 2 s limit
 * while the authorizer counted one (a review, 2026-11-29).
 */
export function programRefusal(
	module: Awaited<ReturnType<typeof loadSqlite>>["module"],
	statement: number,
	patternMatches = CONSOLE_MAX_PATTERN_MATCHES,
): string | undefined {
	// An EXPLAIN statement lists a program, it does not run one (and switching it back to mode
	// 0 below would make it run the query it explains).
	if (module._sqlite3_stmt_isexplain(statement) !== 0) return undefined;
	let steps = 0;
	let calls = 0;
	let matches = 0;
	if (module._sqlite3_stmt_explain(statement, 1) !== 0)
		return "the statement's program could not be read";
	try {
		while (module._sqlite3_step(statement) === 100 && steps <= CONSOLE_MAX_STEPS) {
			steps++;
			const opcode = module.UTF8ToString(module._sqlite3_column_text(statement, 1));
			if (
				opcode !== "Function" &&
				opcode !== "PureFunc" &&
				opcode !== "AggStep" &&
				opcode !== "AggValue"
			)
				continue;
			calls++;
			// P4 names the function: `like(2)`, `glob(2)`.
			const name = module.UTF8ToString(module._sqlite3_column_text(statement, 5)).toLowerCase();
			if (name.startsWith("like(") || name.startsWith("glob(")) matches++;
		}
	} finally {
		module._sqlite3_reset(statement);
		module._sqlite3_stmt_explain(statement, 0);
	}
	if (steps > CONSOLE_MAX_STEPS)
		return `the SQL console runs statements of at most ${CONSOLE_MAX_STEPS} steps of SQLite's program (one row's steps run without a check of its time limit)`;
	if (calls > CONSOLE_MAX_FUNCTION_CALLS)
		return `the SQL console runs at most ${CONSOLE_MAX_FUNCTION_CALLS} function calls in one statement, as compiled (an alias counts wherever it is used)`;
	if (matches > patternMatches)
		return `the SQL console runs at most ${patternMatches} LIKE or GLOB in one statement, as compiled (each is matched in one step its time limit cannot cut; an alias counts wherever it is used)`;
	return undefined;
}

/** SQLITE_TESTCTRL_OPTIMIZATIONS, and the optimization it turns off here (SQLITE_QueryFlattener). */
const TESTCTRL_OPTIMIZATIONS = 15;
const QUERY_FLATTENER = 0x00000001;

/**
 * Turns off SQLite's merging of subqueries into their outer query on `connection`. Merging
 * copies a column's whole expression into every use of it, while the statement is compiled,
 * before any bound here is counted: seven levels of subqueries, each using the last one's column
 * ten times (386 characters), held the loop 3.1 s and grew the process by 1.9 GB for good (an
 * attacker probe, 2026-11-29). Unmerged, each level runs once as a co-routine: 3 ms.
 */
export function withoutQueryFlattening(module: SqliteModule, connection: Connection): void {
	const args = module._sqlite3_malloc(8);
	try {
		// The variadic call's arguments: the connection and the optimizations to turn off.
		module.HEAP32[args >> 2] = connection.pointer;
		module.HEAP32[(args >> 2) + 1] = QUERY_FLATTENER;
		module._sqlite3_test_control(TESTCTRL_OPTIMIZATIONS, args);
	} finally {
		module._sqlite3_free(args);
	}
}

/**
 * The console's answer to `error` (SQLite's): `read_only` for what the
 * authorizer refused; `sql_error` with `refusal` for what it refused as too costly.
 */
export function consoleError(error: unknown, refusal?: string): ReadOnlyQueryError {
	// SQLite says "not authorized to use function" with a plain error code.
	if (refusal !== undefined) return new ReadOnlyQueryError("sql_error", refusal);
	if (error instanceof SqliteError && (error.code & 0xff) === SQLITE_AUTH)
		return new ReadOnlyQueryError("read_only", "the SQL console only reads");
	if (error instanceof SqliteError && (error.code & 0xff) === SQLITE_FULL)
		return new ReadOnlyQueryError(
			"sql_error",
			`the query needed more than ${CONSOLE_MAX_SCRATCH_BYTES / 1024 / 1024} MiB of temporary space (sort or group fewer or smaller values)`,
		);
	return new ReadOnlyQueryError("sql_error", (error as Error).message);
}
