// What an actor's own SQL may not do, refused by an authorizer (SQLite asks it however a
// statement spells the name): attach a database other than a temporary one, or change the
// settings that keep its memory bounded. Every actor's database runs in one SQLite module,
// whose heap they share and which never shrinks.

import type { Connection, loadSqlite } from "./sqlite.js";

/** sqlite3_set_authorizer's action codes of a PRAGMA and an ATTACH, and its answers. */
const AUTH_PRAGMA = 19;
const AUTH_ATTACH = 24;
const AUTH_OK = 0;
const AUTH_DENY = 1;

/**
 * Pragmas an actor's SQL may read and not set. `temp_store = MEMORY` put temporary data back in
 * SQLite's heap, and a large `cache_size` (of any schema: `temp.cache_size`, an attached one's)
 * kept it in the page cache, unspilled, as it kept a sort's rows (its in-memory size follows the
 * main `cache_size`): 43 to 239 MiB of heap from an actor of a 2 MiB database (a review,
 * 2026-11-29). The others change the whole process.
 */
const FIXED_PRAGMAS = new Set([
	"temp_store",
	"cache_size",
	"cache_spill",
	"mmap_size",
	"soft_heap_limit",
	"hard_heap_limit",
	"threads",
	"temp_store_directory",
	"data_store_directory",
]);

type SqliteModule = Awaited<ReturnType<typeof loadSqlite>>["module"];

/**
 * Guards `connection` (an actor's): every ATTACH but of a temporary database (`''`: a scratch
 * file of the VFS, counted with the actor's temporary data; VACUUM attaches one) is refused, as
 * is setting one of {@link FIXED_PRAGMAS}. An attached `:memory:` database lived in SQLite's
 * heap, bounded by nothing (an attacker probe, 2026-11-29); a name given as a parameter is not
 * known when SQLite asks, and is refused. Returns what frees the authorizer's callback, once the
 * connection closed.
 */
export function guardActorSql(module: SqliteModule, connection: Connection): () => void {
	const key = module._sqlite3_malloc(4);
	module.HEAP32[key >> 2] = 0;
	module.setCallback(key, (_app: unknown, action: unknown, first: unknown, second: unknown) => {
		if (action === AUTH_ATTACH)
			return first !== 0 && module.UTF8ToString(first as number) === "" ? AUTH_OK : AUTH_DENY;
		if (action !== AUTH_PRAGMA || second === 0) return AUTH_OK;
		const name = module.UTF8ToString(first as number).toLowerCase();
		return FIXED_PRAGMAS.has(name) ? AUTH_DENY : AUTH_OK;
	});
	module._libauthorizer_set_authorizer(connection.pointer, 1, key);
	// Called once the connection closed (its authorizer went with it).
	return () => {
		module.deleteCallback(key);
		module._sqlite3_free(key);
	};
}
