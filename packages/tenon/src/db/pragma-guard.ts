// Pragmas an actor's SQL may not use on its database file: they would take
// back what the database promises (docs/sqlite.md). Checked by the VFS
// (vfs.ts), which SQLite asks before it runs any PRAGMA on the file, however
// the statement spells it (a pragma's table-valued function too).

/** Bytes per page of an actor's database: `maxDatabaseSize` counts pages of this size. */
export const PAGE_SIZE = 4096;

/**
 * Why `PRAGMA name = value` may not run on an actor's main database file
 * whose size limit is `maxPages` pages; undefined when it may. Reading a
 * setting (no value) is always allowed.
 * - `journal_mode` stays MEMORY: WAL kept every later write in a WAL file
 *   the VFS holds in memory only, never in the actor's commits, so
 *   acknowledged rows were lost at the next restart, and the database,
 *   marked WAL, never opened again; OFF leaves ROLLBACK nothing to undo with.
 * - `page_size` stays 4096 and `max_page_count` within `maxDatabaseSize`:
 *   `page_size = 65536` and a VACUUM let a database of a 256 KiB limit grow
 *   past 2 MB (the limit counts pages), and so did a larger `max_page_count`;
 *   an awake actor's database is held in memory.
 * (A review, 2026-11-26.)
 */
export function pragmaRefusal(
	name: string,
	value: string | undefined,
	maxPages: number,
): string | undefined {
	if (value === undefined) return undefined;
	switch (name.toLowerCase()) {
		case "journal_mode":
			return value.toLowerCase() === "memory"
				? undefined
				: "journal_mode stays MEMORY on an actor's database: its writes are made durable by the actor's commits, and a WAL or journal file would be kept in memory only";
		case "page_size":
			return Number(value) === PAGE_SIZE
				? undefined
				: `page_size stays ${PAGE_SIZE} on an actor's database (maxDatabaseSize counts its pages)`;
		case "max_page_count":
			return pageCount(value) <= maxPages
				? undefined
				: `max_page_count may not exceed ${maxPages} pages on this actor's database: raise maxDatabaseSize instead`;
		default:
			return undefined;
	}
}

/** A page count as SQLite reads one (decimal or hex); anything else counts as too many. */
function pageCount(value: string): number {
	const text = value.trim();
	const count = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : Number(text);
	return Number.isFinite(count) ? count : Number.POSITIVE_INFINITY;
}
