// Every awake actor's database file is registered in one process-wide VFS
// under a name one can guess (`/<actorId>-<n>.db`), and ATTACH (or VACUUM
// INTO) opened main-database files by name there: one actor's SQL, with a file
// name a client gave it, read and wrote another's live database (a review,
// 2026-11-26). ATTACH is refused on every actor's connection.
import { describe, expect, it } from "vitest";
import { db } from "../../src/db/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const vault = actor({
	db: db({
		onMigrate: (d) => d.execute("CREATE TABLE IF NOT EXISTS secrets (v TEXT); "),
	}),
	actions: {
		store: (c, v: string) => c.db.execute("INSERT INTO secrets VALUES (?)", v),
		read: (c) => c.db.execute("SELECT v FROM secrets"),
	},
});
const archive = actor({
	db: db({ onMigrate: (d) => d.execute("CREATE TABLE IF NOT EXISTS t (x)") }),
	actions: {
		// An "attach an archive by file name" feature, the name from the client.
		attach: async (c, file: string) => {
			try {
				await c.db.execute("ATTACH DATABASE ? AS other", file);
				await c.db.execute("INSERT INTO other.secrets VALUES ('written by another actor')");
				const rows = await c.db.execute("SELECT v FROM other.secrets");
				await c.db.execute("DETACH DATABASE other");
				return rows.length;
			} catch (error) {
				return (error as { code?: string }).code;
			}
		},
		vacuumInto: async (c, file: string) => {
			try {
				await c.db.execute("VACUUM INTO ?", file);
				return "done";
			} catch (error) {
				return (error as { code?: string }).code;
			}
		},
	},
});
const registry = setup({ use: { vault, archive }, logLevel: "silent" });

describe("one actor's SQL and another actor's database file", () => {
	it("ATTACH cannot open another actor's database", async () => {
		await using t = await setupTest(registry);
		const victim = t.client.vault.getOrCreate("victim");
		await victim.store("mine");
		const victimId = await victim.resolve();
		const attacker = t.client.archive.getOrCreate("attacker");
		const outcomes = new Set<unknown>();
		for (let n = 1; n <= 5; n++) outcomes.add(await attacker.attach(`/${victimId}-${n}.db`));
		outcomes.add(await attacker.vacuumInto(`/${victimId}-1.db`));
		expect([...outcomes]).toEqual(["sql_error"]);
		expect(await victim.read()).toEqual([{ v: "mine" }]);
	});
});
