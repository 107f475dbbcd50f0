// Transactions and the statements in them (a review, 2026-11-26): a nested
// Drizzle transaction after SQLite's own rollback began a new transaction of
// its own and kept it; an explicit COMMIT inside transaction() was kept while
// the error said nothing was; and refusing ATTACH with a limit broke plain
// VACUUM (it attaches a temporary database).
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db as drizzleDb } from "../../src/db/drizzle/index.js";
import { type DatabaseError, db } from "../../src/db/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { bankMigrations } from "./bank.js";

const schema = bankMigrations();

const drizzleBank = actor({
	db: drizzleDb({ migrations: schema }),
	actions: {
		// A transfer whose credit runs in a nested (savepoint) transaction.
		transferNested: (c, amount: number, memoBytes: number) =>
			c.db.transaction((tx) => {
				tx.run(sql`UPDATE accounts SET balance = balance - ${amount} WHERE id = 'a'`);
				try {
					tx.run(sql`INSERT INTO memo VALUES (zeroblob(${memoBytes}))`);
				} catch {
					// a memo too big is skipped
				}
				tx.transaction((inner) => {
					inner.run(sql`UPDATE accounts SET balance = balance + ${amount} WHERE id = 'b'`);
				});
				return "ok";
			}),
		balances: (c) =>
			c.db.all<{ id: string; balance: number }>(sql`SELECT id, balance FROM accounts ORDER BY id`),
	},
	options: { maxDatabaseSize: 256 * 1024 },
});

const plain = actor({
	db: db({
		onMigrate: (d) =>
			d.execute(`
				CREATE TABLE IF NOT EXISTS t (x);
				CREATE TABLE IF NOT EXISTS big (data BLOB);
			`),
	}),
	actions: {
		// An explicit COMMIT inside the transaction: its rows are kept.
		explicitCommit: async (c) => {
			try {
				await c.db.transaction(async (tx) => {
					await tx.execute("INSERT INTO t VALUES (1)");
					await tx.execute("COMMIT");
				});
				return "resolved";
			} catch (error) {
				return `${(error as DatabaseError).code}: ${(error as Error).message}`;
			}
		},
		count: async (c) => (await c.db.execute<{ n: number }>("SELECT count(*) AS n FROM t"))[0]?.n,
		vacuum: async (c) => {
			await c.db.execute("INSERT INTO big VALUES (zeroblob(100000))");
			await c.db.execute("DELETE FROM big");
			try {
				await c.db.execute("VACUUM");
				return "done";
			} catch (error) {
				return `${(error as DatabaseError).code}: ${(error as Error).message}`;
			}
		},
	},
});

const registry = setup({ use: { drizzleBank, plain }, logLevel: "silent" });

describe("transactions and the statements in them", () => {
	it("a nested Drizzle transaction after SQLite's own rollback keeps nothing", async () => {
		await using t = await setupTest(registry);
		const account = t.client.drizzleBank.getOrCreate("nested");
		const outcome = await account.transferNested(10, 1024 * 1024).then(
			() => "resolved",
			(error: { code?: string }) => `rejected ${error.code}`,
		);
		await t.restart();
		const balances = await account.balances();
		// all of the transfer or none of it (total stays 100).
		expect({ outcome, balances }).toMatchObject({
			balances: [
				{ id: "a", balance: 100 },
				{ id: "b", balance: 0 },
			],
		});
	});

	it("an explicit COMMIT inside transaction(): the error does not claim nothing was kept while rows were", async () => {
		await using t = await setupTest(registry);
		const p = t.client.plain.getOrCreate("commit");
		const outcome = await p.explicitCommit();
		await t.restart();
		const kept = await p.count();
		// either the COMMIT is refused (nothing kept) or the error does not say
		// "nothing of it was kept" / transaction_aborted when the row was made durable.
		expect({
			kept,
			aborted: String(outcome).startsWith("transaction_aborted") && kept === 1,
		}).toMatchObject({
			aborted: false,
		});
	});

	it("plain VACUUM still works on an actor's database", async () => {
		await using t = await setupTest(registry);
		const p = t.client.plain.getOrCreate("vacuum");
		expect(await p.vacuum()).toBe("done");
	});
});
