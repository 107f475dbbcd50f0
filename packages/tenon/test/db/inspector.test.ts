import { describe, expect, it } from "vitest";
import { db } from "../../src/db/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const notes = actor({
	db: db({
		onMigrate: (db) =>
			db.execute(`
				CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, "odd ""name""" TEXT);
				CREATE VIEW IF NOT EXISTS short_notes AS SELECT id FROM notes WHERE length(body) < 5;
			`),
	}),
	actions: {
		add: (c, body: string) => c.db.execute("INSERT INTO notes (body) VALUES (?)", body),
	},
});
const plain = actor({ state: {}, actions: { ping: () => "pong" } });

const TOKEN = "inspect-db-token";
const auth = { authorization: `Bearer ${TOKEN}` };

describe("inspector: actor databases over HTTP", () => {
	it("lists tables and pages through rows of a sleeping actor", async () => {
		await using t = await setupTest(
			setup({ use: { notes, plain }, inspector: { token: TOKEN }, logLevel: "silent" }),
		);
		const handle = t.client.notes.getOrCreate("n");
		for (const body of ["a", "bb", "a longer note", "c"]) await handle.add(body);
		const id = await handle.resolve();
		await t.clock.advance(60_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);

		const schema = await (
			await fetch(`${t.url}/inspector/actors/${id}/db/schema`, { headers: auth })
		).json();
		expect(schema).toMatchObject({
			isDatabaseEnabled: true,
			tables: [
				{
					name: "notes",
					type: "table",
					columns: [
						{ name: "id", type: "INTEGER", primaryKey: true },
						{ name: "body", type: "TEXT", notNull: true },
						{ name: 'odd "name"', type: "TEXT" },
					],
				},
				{ name: "short_notes", type: "view" },
			],
		});

		const page = await (
			await fetch(`${t.url}/inspector/actors/${id}/db/rows?table=notes&limit=2&offset=1`, {
				headers: auth,
			})
		).json();
		expect(page).toMatchObject({
			table: "notes",
			columns: ["id", "body", 'odd "name"'],
			rows: [
				[2, "bb", null],
				[3, "a longer note", null],
			],
			total: 4,
		});
		const view = await (
			await fetch(`${t.url}/inspector/actors/${id}/db/rows?table=short_notes`, { headers: auth })
		).json();
		expect(view.rows).toEqual([[1], [2], [4]]);
		// Reading did not wake the actor.
		expect(t.awakeActors()).toBe(0);

		const missing = await fetch(
			`${t.url}/inspector/actors/${id}/db/rows?table=${encodeURIComponent('notes"; DROP TABLE notes; --')}`,
			{ headers: auth },
		);
		expect(missing.status).toBe(404);
		const badLimit = await fetch(`${t.url}/inspector/actors/${id}/db/rows?table=notes&limit=0`, {
			headers: auth,
		});
		expect(badLimit.status).toBe(400);
		const plainId = await t.client.plain.getOrCreate("p").resolve();
		expect(
			await (
				await fetch(`${t.url}/inspector/actors/${plainId}/db/schema`, { headers: auth })
			).json(),
		).toMatchObject({ isDatabaseEnabled: false });
		// No credential: 401; a wrong one: 403.
		expect((await fetch(`${t.url}/inspector/actors/${id}/db/schema`)).status).toBe(401);
		expect(
			(
				await fetch(`${t.url}/inspector/actors/${id}/db/schema`, {
					headers: { authorization: "Bearer wrong-token-0123456789" },
				})
			).status,
		).toBe(403);
	});
});
