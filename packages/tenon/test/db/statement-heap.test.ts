// One statement may grow SQLite's WebAssembly heap, shared by every actor of the process and
// never given back to the system, only by a bound of its own (four times the longest value its
// actor may hold, plus 32 MiB): a query holding many values of the longest length at once (a subquery
// row of `randomblob` columns) grew it to its 2 GiB maximum for an actor whose whole database
// may hold 1 MiB, and the process kept the 2 GiB (an attacker probe, 2026-11-29).
import { expect, it } from "vitest";
import { db } from "../../src/db/index.js";
import { loadSqlite } from "../../src/db/sqlite.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const MiB = 1024 * 1024;

const wide = actor({
	db: db({
		onMigrate: (d) => d.execute("CREATE TABLE IF NOT EXISTS kept (id INTEGER PRIMARY KEY, b BLOB)"),
	}),
	actions: {
		/** Holds `columns` values of `bytes` each in one row of a subquery. */
		hold: async (c, columns: number, bytes: number) => {
			const cols = Array.from({ length: columns }, (_, i) => `randomblob(${bytes}) c${i}`);
			const lengths = Array.from({ length: columns }, (_, i) => `length(c${i})`).join(" + ");
			try {
				const rows = await c.db.execute(
					`SELECT ${lengths} AS n FROM (SELECT ${cols.join(", ")} LIMIT 1)`,
				);
				return rows[0]?.n;
			} catch (error) {
				return (error as { code?: string }).code;
			}
		},
		keep: async (c, bytes: number) => {
			await c.db.execute("INSERT INTO kept (b) VALUES (randomblob(?))", bytes);
			return "kept";
		},
	},
	options: { maxDatabaseSize: MiB },
});

it("bounds how far one statement grows SQLite's shared heap; the next statements run", async () => {
	await using t = await setupTest(setup({ use: { wide }, logLevel: "silent" }));
	const attacker = t.client.wide.getOrCreate("attacker");
	await attacker.keep(16);
	const { module } = await loadSqlite();
	// Values of the longest length this actor may make (64 MiB): one, two fit the bound.
	const value = 64 * MiB - 1_000;
	expect(await attacker.hold(2, value)).toBe(2 * value);
	// Twelve at once: refused, and the heap grew by at most the bound (288 MiB, and the 96 MiB
	// Emscripten may add to a growth step), not by the 1.5 GiB they take.
	const before = module.HEAPU8.byteLength;
	expect(await attacker.hold(12, value)).toBe("too_big");
	expect(module.HEAPU8.byteLength - before).toBeLessThan(4 * 64 * MiB + 32 * MiB + 96 * MiB);
	// The actor and the others go on.
	expect(await attacker.keep(16)).toBe("kept");
	expect(await t.client.wide.getOrCreate("other").keep(16)).toBe("kept");
	expect(await attacker.hold(1, value)).toBe(value);
}, 60_000);
