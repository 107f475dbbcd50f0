import type { DatabaseHost } from "../actor/database.js";
import { ActorDatabase } from "./database.js";
import { DATABASE_RANGE, PageFile } from "./page-file.js";
import { PAGE_SIZE } from "./pragma-guard.js";
import { Connection, loadSqlite, SQLITE, SQLITE_LIMIT_LENGTH } from "./sqlite.js";
import { createVfs, type TenonVfs, VFS_NAME } from "./vfs.js";

/** sqlite3_set_authorizer's action code of an ATTACH, and its answers. */
const AUTH_ATTACH = 24;
const AUTH_OK = 0;
const AUTH_DENY = 1;

/**
 * Refuses every ATTACH on `connection` but of a temporary database (`''`, a scratch file of the
 * VFS, bounded with the actor's: vfs.ts), which VACUUM attaches too. An attached `:memory:`
 * database lived in SQLite's heap, which every actor shares, bounded by nothing (an attacker
 * probe, 2026-11-29); a name given as a parameter is not known when SQLite asks, and is
 * refused. Returns what frees the authorizer's callback, once the connection closed.
 */
function refuseAttachments(
	module: Awaited<ReturnType<typeof loadSqlite>>["module"],
	connection: Connection,
): () => void {
	const key = module._sqlite3_malloc(4);
	module.HEAP32[key >> 2] = 0;
	module.setCallback(key, (_app: unknown, action: unknown, name: unknown) => {
		if (action !== AUTH_ATTACH) return AUTH_OK;
		return name !== 0 && module.UTF8ToString(name as number) === "" ? AUTH_OK : AUTH_DENY;
	});
	module._libauthorizer_set_authorizer(connection.pointer, 1, key);
	// Called once the connection closed (its authorizer went with it).
	return () => {
		module.deleteCallback(key);
		module._sqlite3_free(key);
	};
}

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
	vfs.attach(name, file, maxPagesOf(host.limits.maxSize), host.limits.maxSize);
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
	// LIKE and GLOB match `%` and `*` by recursion, in time of the pattern's length times the
	// text's: a client's 16 KB pattern overflowed the stack (wasm-stack.ts) and a 40 KB one held
	// the loop 41 s (a probe, 2026-11-27). SQLite allows 50,000 bytes; Durable Objects and D1, 50.
	module._sqlite3_limit(connection.pointer, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, MAX_LIKE_PATTERN);

	const stopAttachGuard = refuseAttachments(module, connection);
	const database = new ActorDatabase(
		module,
		connection,
		file,
		{
			put: (key, value) => host.put(key, value),
			delete: (key) => host.delete(key),
			deleteRange: (range) => host.deleteRange(range),
		},
		host.limits,
		host.log,
		(key, callback) => module.setCallback(key, callback),
		() => {
			module.deleteCallback(database.progressKey);
			stopAttachGuard();
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
	return database;
}
