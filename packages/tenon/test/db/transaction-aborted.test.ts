// SQLite rolls back a whole transaction on SQLITE_FULL (a statement without a
// statement journal) and on SQLITE_INTERRUPT of a write. Tenon's tx kept
// running the statements after it, each on its own outside any transaction,
// and made them durable: a partial transaction, although transaction()
// rejected (a review, 2026-11-26). Now they fail with `transaction_aborted`.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db as drizzleDb } from "../../src/db/drizzle/index.js";
import { DatabaseError, db } from "../../src/db/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { bankMigrations } from "./bank.js";

const bank = actor({
	db: db({
		onMigrate: (d) =>
			d.execute(`
				CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL);
				CREATE TABLE IF NOT EXISTS memo (data BLOB);
				INSERT OR IGNORE INTO accounts VALUES ('a', 100), ('b', 0);
			`),
	}),
	actions: {
		// A transfer with an optional memo from the client; a memo too big to store is skipped.
		transfer: async (c, amount: number, memoBytes: number) =>
			c.db.transaction(async (tx) => {
				await tx.execute("UPDATE accounts SET balance = balance - ? WHERE id = 'a'", amount);
				try {
					await tx.execute("INSERT INTO memo VALUES (zeroblob(?))", memoBytes);
				} catch (error) {
					if (!(error instanceof DatabaseError && error.code === "full")) throw error;
				}
				await tx.execute("UPDATE accounts SET balance = balance + ? WHERE id = 'b'", amount);
				return "ok";
			}),
		// The same with a client-chosen amount of work that may time out.
		transferSlow: async (c, amount: number, work: number) =>
			c.db.transaction(async (tx) => {
				await tx.execute("UPDATE accounts SET balance = balance - ? WHERE id = 'a'", amount);
				try {
					await tx.execute(
						"INSERT INTO memo SELECT NULL FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < ?) SELECT i FROM r) WHERE i < 0",
						work,
					);
				} catch (error) {
					if (!(error instanceof DatabaseError && error.code === "statement_timeout")) throw error;
				}
				await tx.execute("UPDATE accounts SET balance = balance + ? WHERE id = 'b'", amount);
				return "ok";
			}),
		balances: (c) => c.db.execute("SELECT id, balance FROM accounts ORDER BY id"),
	},
	options: { maxDatabaseSize: 256 * 1024, dbStatementTimeout: 100 },
});

const schema = bankMigrations();
/** The same transfer through Drizzle's synchronous transactions. */
const drizzleBank = actor({
	db: drizzleDb({ migrations: schema }),
	actions: {
		transfer: (c, amount: number, memoBytes: number) =>
			c.db.transaction((tx) => {
				tx.run(sql`UPDATE accounts SET balance = balance - ${amount} WHERE id = 'a'`);
				try {
					tx.run(sql`INSERT INTO memo VALUES (zeroblob(${memoBytes}))`);
				} catch {
					// skipped, as above
				}
				tx.run(sql`UPDATE accounts SET balance = balance + ${amount} WHERE id = 'b'`);
				return "ok";
			}),
		balances: (c) =>
			c.db.all<{ id: string; balance: number }>(sql`SELECT id, balance FROM accounts ORDER BY id`),
	},
	options: { maxDatabaseSize: 256 * 1024 },
});

const registry = setup({ use: { bank, drizzleBank }, logLevel: "silent" });

describe("a transaction SQLite rolled back on its own", () => {
	it("full inside transaction(): no statement after SQLite's rollback may commit", async () => {
		await using t = await setupTest(registry);
		const account = t.client.bank.getOrCreate("full");
		const outcome = await account.transfer(10, 1024 * 1024).then(
			() => "resolved",
			(error: { code?: string }) => `rejected ${error.code}`,
		);
		await t.restart();
		const balances = await account.balances();
		const total = balances.reduce((n, row) => n + (row.balance as number), 0);
		// Money is neither created nor destroyed: all of the transaction or none of it.
		expect({ outcome, total }).toMatchObject({ total: 100 });
		expect(balances).toEqual(
			outcome === "resolved"
				? [
						{ id: "a", balance: 90 },
						{ id: "b", balance: 10 },
					]
				: [
						{ id: "a", balance: 100 },
						{ id: "b", balance: 0 },
					],
		);
	});

	it("statement_timeout inside transaction(): no statement after SQLite's rollback may commit", async () => {
		await using t = await setupTest(registry);
		const account = t.client.bank.getOrCreate("slow");
		const outcome = await account.transferSlow(10, 1e12).then(
			() => "resolved",
			(error: { code?: string }) => `rejected ${error.code}`,
		);
		await t.restart();
		const balances = await account.balances();
		const total = balances.reduce((n, row) => n + (row.balance as number), 0);
		expect({ outcome, total }).toMatchObject({ total: 100 });
	});

	it("full inside a Drizzle transaction: no statement after SQLite's rollback may commit", async () => {
		await using t = await setupTest(registry);
		const account = t.client.drizzleBank.getOrCreate("full");
		await account.transfer(10, 1024 * 1024).catch(() => {});
		await t.restart();
		expect(await account.balances()).toEqual([
			{ id: "a", balance: 100 },
			{ id: "b", balance: 0 },
		]);
	});
});
