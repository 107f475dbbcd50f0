import type { ActorStore } from "../storage/interfaces.js";
import type { InspectRequest } from "./inspect-request.js";
import type { DatabaseRows, DatabaseTable, QueryResult } from "./inspect-snapshot.js";
import { InspectThread } from "./inspect-thread.js";
import { DATABASE_RANGE } from "./page-file.js";

// The inspector's reads of an actor's database: a copy of its committed pages,
// read on a worker thread (inspect-thread.ts) so the event loop keeps serving.

export {
	CONSOLE_MAX_COLUMNS,
	CONSOLE_MAX_FUNCTION_CALLS,
	CONSOLE_MAX_LIKE_PATTERN,
	CONSOLE_MAX_PATTERN_MATCHES,
	CONSOLE_MAX_RESULT_BYTES,
	CONSOLE_MAX_SCRATCH_BYTES,
	CONSOLE_MAX_SQL_CHARS,
	CONSOLE_MAX_STEPS,
	CONSOLE_MAX_VALUE_BYTES,
	CONSOLE_REFUSED_FUNCTIONS,
	ReadOnlyQueryError,
} from "./console-guards.js";
export type { DatabaseRows, DatabaseTable, QueryResult } from "./inspect-snapshot.js";

/** The process's one reader: reads of every registry's actors take turns on it. */
export const inspectThread = new InspectThread();

/** Told how long a read waited for its turn on the console's thread (ms). */
export type OnTurn = (waitedMs: number) => void;

function read(
	store: ActorStore,
	actorId: string,
	request: InspectRequest,
	onTurn: OnTurn | undefined,
): Promise<unknown> {
	return inspectThread.run(request, () => store.list(actorId, DATABASE_RANGE), onTurn);
}

/** The tables and views of an actor's database (undefined: it has none yet). */
export async function readDatabaseSchema(
	store: ActorStore,
	actorId: string,
	timeoutMs: number,
	onTurn?: OnTurn,
): Promise<DatabaseTable[] | undefined> {
	return (await read(store, actorId, { op: "schema", timeoutMs }, onTurn)) as
		| DatabaseTable[]
		| undefined;
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
	onTurn?: OnTurn,
): Promise<DatabaseRows | undefined> {
	const request = { op: "rows", table, limit, offset, timeoutMs } as const;
	return (await read(store, actorId, request, onTurn)) as DatabaseRows | undefined;
}

/**
 * Runs one read-only SQL statement against a copy of the committed database,
 * as `queryOf` (inspect-snapshot.ts) says. Undefined when the actor has no
 * database yet.
 */
export async function runReadOnlyQuery(
	store: ActorStore,
	actorId: string,
	sql: string,
	limit: number,
	timeoutMs: number,
	onTurn?: OnTurn,
): Promise<QueryResult | undefined> {
	const request = { op: "query", sql, limit, timeoutMs } as const;
	return (await read(store, actorId, request, onTurn)) as QueryResult | undefined;
}
