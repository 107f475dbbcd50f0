// One view whose table was dropped (SQLite allows it) made the inspector's
// db/schema fail as a whole with core/internal_error: no table was shown (a
// review, 2026-11-26). The view is listed with its error, and its rows answer
// inspector/sql_error.
import { describe, expect, it } from "vitest";
import { db } from "../../src/db/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { call, INSPECTOR_TOKEN } from "../inspector/fixture.js";

const app = actor({
	db: db({
		onMigrate: (d) =>
			d.execute(`
				CREATE TABLE IF NOT EXISTS todos (id INTEGER PRIMARY KEY, title TEXT);
				CREATE TABLE IF NOT EXISTS old (x);
				CREATE VIEW IF NOT EXISTS old_view AS SELECT x FROM old;
			`),
	}),
	actions: {
		add: (c, title: string) => c.db.execute("INSERT INTO todos (title) VALUES (?)", title),
		dropOld: (c) => c.db.execute("DROP TABLE IF EXISTS old"),
	},
});
const registry = setup({
	use: { app },
	logLevel: "silent",
	admin: { token: "admin-token-0123456789" },
	inspector: { token: INSPECTOR_TOKEN },
});

describe("the inspector and a view that no longer resolves", () => {
	it("lists the tables although one view no longer resolves", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.app.getOrCreate("a");
		await handle.add("one");
		await handle.dropOld();
		const actorId = await handle.resolve();
		const schema = await call(`${t.url}/inspector/actors/${actorId}/db/schema`, {
			headers: { authorization: `Bearer ${INSPECTOR_TOKEN}` },
		});
		expect(schema.status, JSON.stringify(schema.body)).toBe(200);
		const tables = schema.body.tables as { name: string; columns: unknown[]; error?: string }[];
		expect(tables.map((table) => table.name)).toEqual(["todos", "old_view"].sort());
		expect(tables.find((table) => table.name === "old_view")).toMatchObject({
			columns: [],
			error: expect.stringContaining("no such table"),
		});
		const rows = await call(`${t.url}/inspector/actors/${actorId}/db/rows?table=old_view`, {
			headers: { authorization: `Bearer ${INSPECTOR_TOKEN}` },
		});
		expect(rows.status).toBe(400);
		expect(rows.body).toMatchObject({ group: "inspector", code: "sql_error" });
	});
});
