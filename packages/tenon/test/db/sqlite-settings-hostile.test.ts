// What an actor's own SQL could do to its database's guarantees (a review,
// 2026-11-26):
// - A cached statement kept the column names it was prepared with: after an
//   `ALTER TABLE`, `SELECT *` came back without the new column, under a
//   renamed column's old name, or with a dropped column as null.
// - `PRAGMA journal_mode = WAL` (a habit from SQLite on disk) moved every
//   later write into a WAL file the VFS keeps in memory only: acknowledged
//   rows were gone after a restart, and the database, marked WAL on disk,
//   never opened again (every call: core/internal_error). `OFF` leaves
//   ROLLBACK nothing to undo with. The journal mode stays MEMORY: asking for
//   another fails with `sql_error`.
// - `maxDatabaseSize` counts 4 KiB pages: `PRAGMA page_size = 65536` and a
//   VACUUM, or a larger `PRAGMA max_page_count`, let a database of a 256 KiB
//   limit grow past 2 MB. Both are refused (`sql_error`).
import { describe, expect, it } from "vitest";
import { db } from "../../src/db/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const notes = actor({
	db: db({
		onMigrate: (d) =>
			d.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)"),
	}),
	actions: {
		run: (c, sql: string) => c.db.execute(sql),
		code: async (c, sql: string) => {
			try {
				await c.db.execute(sql);
				return "ran";
			} catch (error) {
				return (error as { code?: string }).code;
			}
		},
		all: (c) => c.db.execute("SELECT * FROM notes ORDER BY id"),
		add: (c, body: string) => c.db.execute("INSERT INTO notes (body) VALUES (?)", body),
		addThenFail: async (c, body: string) => {
			try {
				await c.db.transaction(async (tx) => {
					await tx.execute("INSERT INTO notes (body) VALUES (?)", body);
					await tx.execute("INSERT INTO notes (body) VALUES (?)", `${body} again`);
					throw new Error("refused after two inserts");
				});
			} catch {
				return "rolled back";
			}
		},
	},
});
const small = actor({
	options: { maxDatabaseSize: 256 * 1024 },
	db: db({ onMigrate: (d) => d.execute("CREATE TABLE IF NOT EXISTS blobs (data BLOB)") }),
	actions: {
		code: async (c, sql: string) => {
			try {
				await c.db.execute(sql);
				return "ran";
			} catch (error) {
				return (error as { code?: string }).code;
			}
		},
		/** Inserts 50 KB rows until the database is full; the KB it took. */
		fill: async (c) => {
			for (let kb = 0; kb < 4_000; kb += 50) {
				try {
					await c.db.execute("INSERT INTO blobs VALUES (randomblob(50000))");
				} catch (error) {
					if ((error as { code?: string }).code === "full") return kb;
					throw error;
				}
			}
			return Number.POSITIVE_INFINITY;
		},
	},
});
const registry = setup({ use: { notes, small }, logLevel: "silent" });

describe("an actor's SQL and its database's guarantees", () => {
	it("SELECT * follows the table's columns after ALTER TABLE", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.notes.getOrCreate("columns");
		await handle.add("one");
		expect(await handle.all()).toEqual([{ id: 1, body: "one" }]);
		await handle.run("ALTER TABLE notes ADD COLUMN done INTEGER NOT NULL DEFAULT 0");
		expect(await handle.all()).toEqual([{ id: 1, body: "one", done: 0 }]);
		await handle.run("ALTER TABLE notes RENAME COLUMN body TO text");
		expect(await handle.all()).toEqual([{ id: 1, text: "one", done: 0 }]);
		await handle.run("ALTER TABLE notes DROP COLUMN done");
		expect(await handle.all()).toEqual([{ id: 1, text: "one" }]);
	});

	it("refuses WAL: no acknowledged row is lost and the database opens again", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.notes.getOrCreate("wal");
		for (const sql of [
			"PRAGMA journal_mode = WAL",
			"PRAGMA main.journal_mode = 'wal'",
			"SELECT * FROM pragma_journal_mode('wal')",
		])
			expect(await handle.code(sql), sql).toBe("sql_error");
		await handle.add("acknowledged");
		await t.restart();
		expect(await handle.all()).toEqual([{ id: 1, body: "acknowledged" }]);
		expect(await handle.run("PRAGMA journal_mode")).toEqual([{ journal_mode: "memory" }]);
	});

	it("refuses the other journal modes: a failed transaction still keeps nothing", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.notes.getOrCreate("off");
		await handle.add("before");
		for (const mode of ["OFF", "delete", "truncate", "persist"])
			expect(await handle.code(`PRAGMA journal_mode = ${mode}`)).toBe("sql_error");
		expect(await handle.run("PRAGMA journal_mode = memory")).toEqual([{ journal_mode: "memory" }]);
		expect(await handle.addThenFail("half")).toBe("rolled back");
		await t.restart();
		expect(await handle.all()).toEqual([{ id: 1, body: "before" }]);
	});

	it("keeps a database within maxDatabaseSize whatever its SQL sets", async () => {
		await using t = await setupTest(registry);
		for (const [key, settings] of [
			["plain", []],
			["pages", ["PRAGMA max_page_count = 100000", "PRAGMA main.max_page_count = '0x7fffffff'"]],
			["page-size", ["PRAGMA page_size = 65536", "SELECT * FROM pragma_page_size(65536)"]],
		] as const) {
			const handle = t.client.small.getOrCreate(key);
			for (const sql of settings) expect(await handle.code(sql), sql).toBe("sql_error");
			expect(await handle.code("VACUUM")).toBe("ran");
			// Before: 2,000 KB and more, past a limit of 256 KiB.
			expect(await handle.fill(), key).toBeLessThanOrEqual(256);
		}
		// Lowering the limit, and reading the settings, still work.
		const handle = t.client.small.getOrCreate("lower");
		expect(await handle.code("PRAGMA max_page_count = 32")).toBe("ran");
		expect(await handle.code("PRAGMA page_size")).toBe("ran");
		expect(await handle.fill()).toBeLessThanOrEqual(128);
	});
});
