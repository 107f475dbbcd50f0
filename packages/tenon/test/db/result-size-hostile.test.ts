// A query's result is held whole in memory (its rows, then the reply): before 2026-11-26
// nothing bounded it but the statement timeout, and a join or generated rows (a recursive
// CTE, `randomblob`) with a count a client chose built hundreds of megabytes in the ten
// seconds the timeout allows, enough to end a process that serves every actor. A result
// holds at most what the database itself may (`maxDatabaseSize`), or the statement fails
// with `too_big`; the database stays usable. So does a single value (`randomblob(n)`).
import { describe, expect, it } from "vitest";
import { db } from "../../src/db/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const LIMIT = 1024 * 1024;

const reports = actor({
	db: db({
		onMigrate: (d) =>
			d.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)"),
	}),
	actions: {
		/** `rows` generated rows of 1 KiB each: what a client-chosen count may ask for. */
		generate: async (c, rows: number) => {
			try {
				const result = await c.db.execute(
					"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT i, hex(zeroblob(512)) FROM n",
					rows,
				);
				return result.length;
			} catch (error) {
				return (error as { code?: string }).code;
			}
		},
		/** One blob of `bytes` bytes made in a single step: what no timeout interrupts. */
		blob: async (c, bytes: number) => {
			try {
				return (await c.db.execute("SELECT length(randomblob(?)) AS n", bytes))[0]?.n;
			} catch (error) {
				return (error as { code?: string }).code;
			}
		},
		/** `rows` generated rows of 40 empty strings (or NULLs): nothing of text to count. */
		empties: async (c, rows: number, value: "''" | "NULL") => {
			const columns = Array.from({ length: 40 }, (_, i) => `${value} AS c${i}`).join(", ");
			try {
				const result = await c.db.execute(
					`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT ${columns} FROM n`,
					rows,
				);
				return result.length;
			} catch (error) {
				return (error as { code?: string }).code;
			}
		},
		add: (c, body: string) => c.db.execute("INSERT INTO notes (body) VALUES (?)", body),
		count: async (c) => (await c.db.execute("SELECT count(*) AS n FROM notes"))[0]?.n,
	},
	options: { maxDatabaseSize: LIMIT },
});
const registry = setup({ use: { reports }, logLevel: "silent" });

describe("a query's result", () => {
	it("holds at most maxDatabaseSize bytes: past it, too_big, and the database stays usable", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.reports.getOrCreate("r");
		// 500 rows of 1 KiB: within the limit.
		expect(await handle.generate(500)).toBe(500);
		// 100,000 rows of 1 KiB (100 MB): refused long before they are all built.
		expect(await handle.generate(100_000)).toBe("too_big");
		await handle.add("still here");
		expect(await handle.count()).toBe(1);
	});

	it("counts every value and row, so rows of NULLs or empty strings are bounded too", async () => {
		// Regression (a probe, 2026-11-27): NULL and '' counted 0 bytes; 1.5 million rows of 40
		// of them passed the check and took 3.3 GB (the limit here is 1 MiB: 3,000 rows fit).
		await using t = await setupTest(registry);
		const handle = t.client.reports.getOrCreate("empties");
		expect(await handle.empties(2_000, "''")).toBe(2_000);
		expect(await handle.empties(5_000, "''")).toBe("too_big");
		expect(await handle.empties(5_000, "NULL")).toBe("too_big");
		expect(await handle.count()).toBe(0);
	});

	it("holds no value longer than the database may be: randomblob(n) with a large n is too_big", async () => {
		// Before: SQLite's default of 1 GB, built in one step the statement timeout cannot stop.
		await using t = await setupTest(registry);
		const handle = t.client.reports.getOrCreate("blob");
		expect(await handle.blob(1000)).toBe(1000);
		// Past twice the database's size, or 64 MiB when that is more (here: 64 MiB).
		expect(await handle.blob(65 * 1024 * 1024)).toBe("too_big");
		await handle.add("still here");
		expect(await handle.count()).toBe(1);
	});
});
