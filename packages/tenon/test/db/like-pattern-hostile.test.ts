// Regression (an attacker probe, 2026-11-27): every actor shares one SQLite WebAssembly module.
// SQLite matches `%` and `*` by recursion, and an app's search (`WHERE t LIKE '%' || ? || '%'`)
// given a client's pattern of 8,000 `%a` pairs overflowed the JavaScript stack inside the
// module: the module's own stack pointer was left where the overflow cut it, and from the fifth
// such call on every SQLite call of every actor failed (`table index is out of bounds`) until
// the process restarted. Now a LIKE or GLOB pattern is refused past 1,000 bytes (peers allow 50),
// and a trap inside the module leaves its stack pointer where the call found it.
import { describe, expect, it } from "vitest";
import { db } from "../../src/db/index.js";
import { MAX_LIKE_PATTERN } from "../../src/db/open.js";
import { loadSqlite } from "../../src/db/sqlite.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const notes = actor({
	state: {},
	db: db({
		onMigrate: (sql) => sql.execute("CREATE TABLE IF NOT EXISTS items (t TEXT NOT NULL)"),
	}),
	actions: {
		add: async (c, text: string) => {
			await c.db.execute("INSERT INTO items (t) VALUES (?)", text);
			return (await c.db.execute<{ n: number }>("SELECT count(*) AS n FROM items"))[0]?.n;
		},
		search: async (c, query: string) =>
			(
				await c.db.execute<{ n: number }>(
					"SELECT count(*) AS n FROM items WHERE t LIKE ?",
					`%${query}%`,
				)
			)[0]?.n,
		glob: async (c, pattern: string) =>
			(
				await c.db.execute<{ n: number }>("SELECT count(*) AS n FROM items WHERE t GLOB ?", pattern)
			)[0]?.n,
	},
});
const registry = setup({ use: { notes }, logLevel: "silent" });

describe("a client's LIKE or GLOB pattern", () => {
	it("too long is refused, and SQLite keeps working for every actor", async () => {
		await using t = await setupTest(registry);
		const attacker = t.client.notes.getOrCreate("attacker");
		const victim = t.client.notes.getOrCreate("victim");
		expect(await victim.add("hello")).toBe(1);
		expect(await attacker.add("a".repeat(30_000))).toBe(1);
		for (let i = 0; i < 8; i++) {
			await expect(attacker.search("%a".repeat(8_000))).rejects.toMatchObject({ group: "core" });
			await expect(attacker.glob("*a".repeat(8_000))).rejects.toMatchObject({ group: "core" });
		}
		// A pattern within the limit still matches.
		expect(await attacker.search("a".repeat(400))).toBe(1);
		expect(await victim.search("ell")).toBe(1);
		expect(await victim.add("world")).toBe(2);
		const newcomer = t.client.notes.getOrCreate("newcomer");
		expect(await newcomer.add("fresh")).toBe(1);
	}, 60_000);

	it("within the limit is matched; one byte past it is refused", async () => {
		await using t = await setupTest(registry);
		const notes = t.client.notes.getOrCreate("limit");
		expect(await notes.add("b".repeat(MAX_LIKE_PATTERN))).toBe(1);
		expect(await notes.glob("b".repeat(MAX_LIKE_PATTERN))).toBe(1);
		await expect(notes.glob("b".repeat(MAX_LIKE_PATTERN + 1))).rejects.toMatchObject({
			group: "core",
		});
		expect(await notes.search("b".repeat(MAX_LIKE_PATTERN - 2))).toBe(1);
	});

	it("the module's stack pointer functions were found (a wa-sqlite upgrade that renames them fails here)", async () => {
		const { module } = await loadSqlite();
		expect(module.wasmStack).toBeDefined();
		const pointer = module.wasmStack?.save();
		expect(typeof pointer).toBe("number");
		module.wasmStack?.restore(pointer as number);
	});
});
