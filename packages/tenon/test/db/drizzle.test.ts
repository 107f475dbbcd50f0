import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
	type DrizzleMigrations,
	db,
	integer,
	sqliteTable,
	text,
} from "../../src/db/drizzle/index.js";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const accounts = sqliteTable("accounts", {
	id: integer("id").primaryKey({ autoIncrement: true }),
	owner: text("owner").notNull().unique(),
	balance: integer("balance").notNull().default(0),
});

const v1: DrizzleMigrations = {
	journal: { entries: [{ idx: 0, when: 1_700_000_000_000, tag: "0000_init", breakpoints: true }] },
	migrations: {
		m0000:
			"CREATE TABLE `accounts` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL, `owner` text NOT NULL, `balance` integer DEFAULT 0 NOT NULL);\n--> statement-breakpoint\nCREATE UNIQUE INDEX `accounts_owner_unique` ON `accounts` (`owner`);",
	},
};
const v2: DrizzleMigrations = {
	journal: {
		entries: [
			...v1.journal.entries,
			{ idx: 1, when: 1_700_000_100_000, tag: "0001_note", breakpoints: true },
		],
	},
	migrations: { ...v1.migrations, m0001: "ALTER TABLE `accounts` ADD `note` text;" },
};

function bank(migrations: DrizzleMigrations) {
	return actor({
		db: db({ schema: { accounts }, migrations }),
		actions: {
			open: async (c, owner: string, balance: number) =>
				(await c.db.insert(accounts).values({ owner, balance }).returning())[0],
			balance: async (c, owner: string) =>
				(await c.db.select().from(accounts).where(eq(accounts.owner, owner)))[0]?.balance,
			transfer: (c, from: string, to: string, amount: number) =>
				c.db.transaction((tx) => {
					tx.update(accounts)
						.set({ balance: sql`${accounts.balance} - ${amount}` })
						.where(eq(accounts.owner, from))
						.run();
					const [source] = tx.select().from(accounts).where(eq(accounts.owner, from)).all();
					if (!source || source.balance < 0) tx.rollback();
					tx.update(accounts)
						.set({ balance: sql`${accounts.balance} + ${amount}` })
						.where(eq(accounts.owner, to))
						.run();
					return "ok";
				}),
			asyncTransaction: (c) => c.db.transaction((async () => "nope") as never),
			columns: (c) =>
				c.db.execute<{ name: string }>("SELECT name FROM pragma_table_info('accounts')"),
			migrationsApplied: async (c) =>
				(await c.db.execute<{ n: number }>("SELECT count(*) AS n FROM __drizzle_migrations"))[0]?.n,
		},
	});
}

describe("tenon/db/drizzle", () => {
	it("applies drizzle-kit migrations once each, and new ones on a later deploy", async () => {
		const storage = memoryDriver();
		{
			await using t = await setupTest(setup({ use: { bank: bank(v1) }, logLevel: "silent" }), {
				storage,
			});
			const account = t.client.bank.getOrCreate("b");
			expect(await account.open("ann", 100)).toEqual({ id: 1, owner: "ann", balance: 100 });
			await t.restart();
			expect(await account.migrationsApplied()).toBe(1);
		}
		await using t = await setupTest(setup({ use: { bank: bank(v2) }, logLevel: "silent" }), {
			storage,
		});
		const account = t.client.bank.getOrCreate("b");
		expect(await account.balance("ann")).toBe(100);
		expect((await account.columns()).map((c) => c.name)).toEqual([
			"id",
			"owner",
			"balance",
			"note",
		]);
		expect(await account.migrationsApplied()).toBe(2);
	});

	it("runs synchronous Drizzle transactions atomically and refuses async ones", async () => {
		await using t = await setupTest(setup({ use: { bank: bank(v1) }, logLevel: "silent" }));
		const account = t.client.bank.getOrCreate("t");
		await account.open("ann", 50);
		await account.open("bo", 0);
		expect(await account.transfer("ann", "bo", 20)).toBe("ok");
		await expect(account.transfer("ann", "bo", 100)).rejects.toMatchObject({
			code: "internal_error",
		});
		expect([await account.balance("ann"), await account.balance("bo")]).toEqual([30, 20]);
		await expect(account.asyncTransaction()).rejects.toMatchObject({ code: "internal_error" });
		await expect(account.open("ann", 1)).rejects.toMatchObject({ code: "internal_error" });
		await t.restart();
		expect([await account.balance("ann"), await account.balance("bo")]).toEqual([30, 20]);
	});
});
