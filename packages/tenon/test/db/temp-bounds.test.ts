// An actor's temporary data (temporary tables, the sorts and B-trees of DISTINCT and GROUP BY)
// counts against its `maxDatabaseSize`, and ATTACH is refused. They were held in SQLite's heap,
// which every actor of the process shares, bounded by nothing: one actor staged 1.9 GiB in a
// temporary table with a 1 MiB database, and then other actors' writes failed with "out of
// memory" (an attacker probe, 2026-11-29).
import { expect, it } from "vitest";
import { db } from "../../src/db/index.js";
import { loadSqlite } from "../../src/db/sqlite.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const MiB = 1024 * 1024;

const outcome = async (run: () => Promise<unknown>) => {
	try {
		await run();
		return "ok";
	} catch (error) {
		return (error as { code?: string }).code;
	}
};

const scratch = actor({
	db: db({
		onMigrate: (d) => d.execute("CREATE TABLE IF NOT EXISTS kept (id INTEGER PRIMARY KEY, b BLOB)"),
	}),
	actions: {
		stage: (c, bytes: number) =>
			outcome(async () => {
				await c.db.execute("CREATE TEMP TABLE IF NOT EXISTS staging (b BLOB)");
				await c.db.execute("INSERT INTO temp.staging VALUES (randomblob(?))", bytes);
			}),
		distinct: (c, rows: number) =>
			outcome(() =>
				c.db.execute(
					"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT count(DISTINCT randomblob(4096)) AS r FROM n",
					rows,
				),
			),
		sorted: (c, rows: number) =>
			outcome(() =>
				c.db.execute(
					"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT i FROM n ORDER BY randomblob(16) LIMIT 3",
					rows,
				),
			),
		attach: (c) => outcome(() => c.db.execute("ATTACH ':memory:' AS side")),
		keep: (c, bytes: number) =>
			outcome(() => c.db.execute("INSERT INTO kept (b) VALUES (randomblob(?))", bytes)),
	},
	options: { maxDatabaseSize: 2 * MiB },
});

it("bounds temporary tables and sorts by maxDatabaseSize, per actor, and refuses ATTACH", async () => {
	await using t = await setupTest(setup({ use: { scratch }, logLevel: "silent" }));
	const attacker = t.client.scratch.getOrCreate("attacker");
	const other = t.client.scratch.getOrCreate("other");
	await attacker.keep(1);
	const { module } = await loadSqlite();
	const heapBefore = module.HEAPU8.byteLength;
	const staged: unknown[] = [];
	for (let i = 0; i < 6; i++) staged.push(await attacker.stage(MiB / 2));
	expect(staged.slice(0, 2)).toEqual(["ok", "ok"]);
	expect(staged.at(-1)).toBe("full");
	expect(await attacker.distinct(2_000)).toBe("full");
	expect(await attacker.attach()).toBe("sql_error");
	// Sorts within the bound still run; the other actor's database and temporary data are its own.
	expect(await attacker.sorted(1_000)).toBe("ok");
	expect(await other.stage(MiB / 2)).toBe("ok");
	expect(await other.keep(MiB / 2)).toBe("ok");
	// SQLite's heap (every actor's) did not grow with it.
	expect(module.HEAPU8.byteLength - heapBefore).toBeLessThan(64 * MiB);
});
