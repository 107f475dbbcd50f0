import type { DatabaseHost } from "../actor/database.js";
import { guardActorSql } from "./actor-authorizer.js";
import { ActorDatabase } from "./database.js";
import { DATABASE_RANGE, PageFile } from "./page-file.js";
import { PAGE_SIZE } from "./pragma-guard.js";
import { Connection, loadSqlite, SQLITE, SQLITE_LIMIT_LENGTH } from "./sqlite.js";
import { createVfs, type TenonVfs, VFS_NAME } from "./vfs.js";

/** The longest LIKE or GLOB pattern a statement takes, in bytes (see openDatabase). */
export const MAX_LIKE_PATTERN = 1_000;
/** sqlite3_limit's id of that bound. */
export const SQLITE_LIMIT_LIKE_PATTERN_LENGTH = 8;

let vfs: TenonVfs | undefined;

/** Loads SQLite and registers the actor VFS (once per process). */
async function sqlite() {
	const loaded = await loadSqlite();
	if (vfs === undefined) {
		const created = createVfs(loaded.module);
		loaded.api.vfs_register(created as never, false);
		vfs = created;
	}
	return { ...loaded, vfs };
}

/** The most pages a database of `maxSize` bytes holds (pages stay 4 KiB: pragma-guard.ts). */
function maxPagesOf(maxSize: number): number {
	return Math.max(1, Math.floor(maxSize / PAGE_SIZE));
}

/** Connection settings: durability and atomicity come from the actor's commits. */
function pragmas(maxSize: number): string {
	return [
		`PRAGMA page_size = ${PAGE_SIZE}`,
		// Rollback of a failed statement or transaction works from memory;
		// nothing reaches storage until a transaction is complete.
		"PRAGMA journal_mode = MEMORY",
		"PRAGMA locking_mode = EXCLUSIVE",
		"PRAGMA synchronous = OFF",
		// Temporary tables and sort spills go to the VFS's scratch files, counted per actor (at
		// most maxDatabaseSize): in memory they grew SQLite's heap, which every actor shares.
		"PRAGMA temp_store = FILE",
		// Pages of a dropped temporary table are given back: a temporary file never shrank, and
		// stayed counted until the actor slept (a review, 2026-11-29).
		"PRAGMA temp.auto_vacuum = FULL",
		// The file is in memory already: keep SQLite's own cache small.
		"PRAGMA cache_size = -512",
		"PRAGMA foreign_keys = ON",
		`PRAGMA max_page_count = ${maxPagesOf(maxSize)}`,
	].join(";\n");
}

let opened = 0;

/**
 * Opens one actor's SQLite database from its stored chunks. Changes go to
 * the actor's buffered writes as each transaction ends.
 */
export async function openActorDatabase(host: DatabaseHost): Promise<ActorDatabase> {
	const { module, vfs } = await sqlite();
	const file = PageFile.fromEntries(await host.list(DATABASE_RANGE));
	// Unique per open: a reset actor may reopen before its old connection closed.
	const name = `/${host.actorId}-${++opened}.db`;
	// Temporary data up to twice the database: a sort holds its keys and its rows apart, and an
	// ORDER BY of an expression over a table near the limit needed about twice it (a review).
	vfs.attach(name, file, maxPagesOf(host.limits.maxSize), 2 * host.limits.maxSize);
	let connection: Connection;
	try {
		connection = Connection.open(
			module,
			name,
			VFS_NAME,
			SQLITE.OPEN_READWRITE | SQLITE.OPEN_CREATE,
		);
	} catch (error) {
		vfs.detach(name);
		throw error;
	}
	// No string or blob longer than twice what the database may hold, nor than 64 MiB when
	// that is less (`too_big`; a value past the database's size but within this still fails
	// with `full`, as any write past it): `randomblob(n)` or `zeroblob(n)` with a client's n
	// built up to 1 GB (SQLite's default) in one step, which neither the statement timeout
	// nor the result cap could stop (a review, 2026-11-26).
	const maxValue = Math.min(Math.max(2 * host.limits.maxSize, 64 * 1024 * 1024), 1_000_000_000);
	module._sqlite3_limit(connection.pointer, SQLITE_LIMIT_LENGTH, maxValue);
	// One statement grows the shared heap by at most four such values and some (heap-growth.ts):
	// a value takes about twice its length while a statement holds it.
	const limits = { ...host.limits, maxHeapGrowth: 4 * maxValue + 32 * 1024 * 1024 };
	// LIKE and GLOB match `%` and `*` by recursion, in time of the pattern's length times the
	// text's: a client's 16 KB pattern overflowed the stack (wasm-stack.ts) and a 40 KB one held
	// the loop 41 s (a probe, 2026-11-27). SQLite allows 50,000 bytes; Durable Objects and D1, 50.
	module._sqlite3_limit(connection.pointer, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, MAX_LIKE_PATTERN);

	// Set once the connection's own settings ran (the guard refuses setting them).
	let stopGuard = () => {};
	const database = new ActorDatabase(
		module,
		connection,
		file,
		{
			put: (key, value) => host.put(key, value),
			delete: (key) => host.delete(key),
			deleteRange: (range) => host.deleteRange(range),
		},
		limits,
		host.log,
		(key, callback) => module.setCallback(key, callback),
		() => {
			module.deleteCallback(database.progressKey);
			stopGuard();
			vfs.detach(name);
		},
		(run) => vfs.asOwner(name, run),
	);
	try {
		database.run(pragmas(host.limits.maxSize), [], undefined);
	} catch (error) {
		database.close();
		throw error;
	}
	stopGuard = guardActorSql(module, connection);
	return database;
}
