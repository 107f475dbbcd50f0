// Drizzle's synchronous transactions (a review, 2026-11-26): one whose COMMIT
// failed (a deferred foreign key) was left open, and every later statement of
// the actor failed with transaction_open; c.db.execute inside one, after
// SQLite's own rollback, was kept on its own.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db as drizzleDb } from "../../src/db/drizzle/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { bankMigrations } from "./bank.js";

const schema = bankMigrations(
	"CREATE TABLE parent (id INTEGER PRIMARY KEY);",
	"CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);",
);

const app = actor({
	db: drizzleDb({ migrations: schema }),
	actions: {
		// A child whose parent is missing: the deferred foreign key fails at COMMIT.
		orphan: (c) => {
			try {
				c.db.transaction((tx) => {
					tx.run(sql`INSERT INTO child VALUES (1, 42)`);
				});
				return "committed";
			} catch (error) {
				return `refused ${(error as { code?: string }).code ?? (error as Error).message}`;
			}
		},
		addParent: (c, id: number) => {
			try {
				c.db.run(sql`INSERT INTO parent VALUES (${id})`);
				return "ok";
			} catch (error) {
				const e = error as { code?: string; cause?: { code?: string } };
				return `failed ${e.code ?? e.cause?.code ?? (error as Error).message}`;
			}
		},
		// Raw c.db.execute (the Drizzle client's own) called inside a Drizzle transaction
		// after SQLite rolled it back on its own.
		transferRaw: (c, amount: number, memoBytes: number) =>
			c.db.transaction((tx) => {
				tx.run(sql`UPDATE accounts SET balance = balance - ${amount} WHERE id = 'a'`);
				try {
					tx.run(sql`INSERT INTO memo VALUES (zeroblob(${memoBytes}))`);
				} catch {
					// skipped
				}
				void c.db
					.execute("UPDATE accounts SET balance = balance + ? WHERE id = 'b'", amount)
					.catch(() => {});
				return "ok";
			}),
		balances: (c) =>
			c.db.all<{ id: string; balance: number }>(sql`SELECT id, balance FROM accounts ORDER BY id`),
		parents: (c) => c.db.all<{ id: number }>(sql`SELECT id FROM parent ORDER BY id`),
	},
	options: { maxDatabaseSize: 256 * 1024 },
});

const registry = setup({ use: { app }, logLevel: "silent" });

describe("Drizzle transactions", () => {
	it("a Drizzle transaction whose COMMIT fails (deferred foreign key) is rolled back, not left open", async () => {
		await using t = await setupTest(registry);
		const a = t.client.app.getOrCreate("fk");
		const first = await a.orphan();
		const second = await a.addParent(7);
		await t.restart();
		// the orphan is refused (constraint), and the next, unrelated statement runs and is kept.
		expect({ first, second, parents: await a.parents() }).toEqual({
			first: "refused constraint",
			second: "ok",
			parents: [{ id: 7 }],
		});
	});

	it("c.db.execute inside a Drizzle transaction after SQLite's own rollback keeps nothing", async () => {
		await using t = await setupTest(registry);
		const a = t.client.app.getOrCreate("raw");
		await a.transferRaw(10, 1024 * 1024).catch(() => {});
		await t.restart();
		expect(await a.balances()).toEqual([
			{ id: "a", balance: 100 },
			{ id: "b", balance: 0 },
		]);
	});
});
