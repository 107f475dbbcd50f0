// The SQLite test suite every storage driver runs (memory, lmdb, postgres).
import { describe, expect, it } from "vitest";
import { DatabaseError, db, type SqlDatabase } from "../../src/db/index.js";
import { ActorError, actor, setup, UserError } from "../../src/index.js";
import type { StorageDriver } from "../../src/storage/interfaces.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";
import { controllableStorage } from "../helpers/controllable-storage.js";

const migrate = async (db: SqlDatabase) => {
	await db.execute(`
		CREATE TABLE IF NOT EXISTS items (
			id INTEGER PRIMARY KEY,
			name TEXT NOT NULL UNIQUE,
			qty INTEGER NOT NULL DEFAULT 0,
			data BLOB
		);
		CREATE INDEX IF NOT EXISTS items_by_qty ON items (qty);
		CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, note TEXT);
	`);
};

const store = actor({
	state: { writes: 0 },
	db: db({ onMigrate: migrate }),
	actions: {
		add: async (c, name: string, qty = 1) => {
			await c.db.execute("INSERT INTO items (name, qty) VALUES (?, ?)", name, qty);
			c.state.writes++;
			return c.state.writes;
		},
		get: async (c, name: string) =>
			(await c.db.execute("SELECT name, qty FROM items WHERE name = :name", { name }))[0] ?? null,
		all: (c) => c.db.execute("SELECT name, qty FROM items ORDER BY id"),
		count: async (c) =>
			(await c.db.execute<{ n: number }>("SELECT count(*) AS n FROM items"))[0]?.n,
		values: async (c) => {
			const rows = await c.db.execute(
				"SELECT ? AS i, ? AS big, ? AS r, ? AS t, ? AS b, ? AS n, ? AS yes",
				7,
				2n ** 60n,
				1.5,
				"text",
				Uint8Array.of(1, 2, 3),
				null,
				true,
			);
			return rows[0];
		},
		script: (c) =>
			c.db.execute("INSERT INTO audit (note) VALUES ('x'); SELECT count(*) AS n FROM audit;"),
		putBlob: async (c, name: string, size: number) => {
			const data = new Uint8Array(size);
			for (let i = 0; i < size; i++) data[i] = i % 251;
			await c.db.execute("INSERT INTO items (name, data) VALUES (?, ?)", name, data);
		},
		blobChecksum: async (c, name: string) => {
			const [row] = await c.db.execute<{ data: Uint8Array }>(
				"SELECT data FROM items WHERE name = ?",
				name,
			);
			if (!row) return null;
			let sum = 0;
			for (const byte of row.data) sum = (sum * 31 + byte) % 1_000_000_007;
			return { length: row.data.byteLength, sum };
		},
		transfer: async (c, from: string, to: string, qty: number, fail: boolean) =>
			c.db.transaction(async (tx) => {
				await tx.execute("UPDATE items SET qty = qty - ? WHERE name = ?", qty, from);
				await new Promise((resolve) => setTimeout(resolve, 20));
				if (fail) throw new UserError("transfer refused", { code: "refused" });
				await tx.execute("UPDATE items SET qty = qty + ? WHERE name = ?", qty, to);
				return "done";
			}),
		nested: (c) =>
			c.db.transaction(async (tx) => {
				await tx.execute("INSERT INTO audit (note) VALUES ('outer')");
				await tx
					.transaction(async (inner) => {
						await inner.execute("INSERT INTO audit (note) VALUES ('inner')");
						throw new Error("undo inner");
					})
					.catch(() => {});
				return tx.execute("SELECT note FROM audit ORDER BY id");
			}),
		leaveOpen: (c) => c.db.execute("BEGIN; INSERT INTO audit (note) VALUES ('dangling')"),
		bad: (c, which: string) => {
			if (which === "syntax") return c.db.execute("SELEC nope");
			if (which === "constraint")
				return c.db.execute("INSERT INTO items (name) VALUES ('dup'), ('dup')");
			if (which === "param") return c.db.execute("SELECT ?", { nope: 1 } as never, 2 as never);
			return c.db.execute("SELECT * FROM missing_table");
		},
		caught: async (c) => {
			try {
				await c.db.execute("INSERT INTO items (name) VALUES (NULL)");
			} catch (error) {
				if (error instanceof DatabaseError) return `${error.code}: ${error.message}`;
			}
			return "no error";
		},
		countTo: async (c, n: number) =>
			(
				await c.db.execute<{ n: number }>(
					"WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < ?) SELECT count(*) AS n FROM r",
					n,
				)
			)[0]?.n,
		forever: (c) =>
			c.db.execute(
				"WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r",
			),
		stateAndRow: async (c, name: string) => {
			c.state.writes += 100;
			await c.db.execute("INSERT INTO items (name) VALUES (?)", name);
		},
		writes: (c) => c.state.writes,
		destroy: (c) => c.destroy(),
	},
	options: { dbStatementTimeout: 200 },
});

const tiny = actor({
	db: db({ onMigrate: (db) => db.execute("CREATE TABLE IF NOT EXISTS b (data BLOB)") }),
	actions: {
		put: async (c, size: number) => {
			try {
				await c.db.execute("INSERT INTO b VALUES (zeroblob(?))", size);
				return "stored";
			} catch (error) {
				return error instanceof DatabaseError ? error.code : String(error);
			}
		},
		total: async (c) => (await c.db.execute("SELECT count(*) AS n FROM b"))[0]?.n,
	},
	options: { maxDatabaseSize: 256 * 1024 },
});

let migrations = 0;
const brokenMigration = actor({
	db: db({
		onMigrate: async (db) => {
			migrations++;
			await db.execute("CREATE TABLE t (x)");
			await db.execute("INSERT INTO t VALUES (1)");
			throw new Error("migration bug");
		},
	}),
	actions: { ping: () => "pong" },
});

const plain = actor({ state: {}, actions: { useDb: (c) => (c as { db: unknown }).db } });

const withWorkflow = actor({
	state: { done: false },
	db: db({ onMigrate: (db) => db.execute("CREATE TABLE IF NOT EXISTS log (step TEXT)") }),
	actions: {
		log: (c) => c.db.execute("SELECT step FROM log"),
		done: (c) => c.state.done,
	},
	run: workflow(async (ctx) => {
		await ctx.step("one", (c) => c.db.execute("INSERT INTO log VALUES ('one')"));
		await ctx.step("two", async () => {
			await ctx.db.execute("INSERT INTO log VALUES ('two')");
		});
		await ctx.step("done", (c) => {
			c.state.done = true;
		});
	}),
});

const registry = setup({
	use: { store, tiny, brokenMigration, plain, withWorkflow },
	logLevel: "silent",
});

/** Runs the database suite on the driver `createDriver` returns (a fresh one per test). */
export function describeDatabaseSuite(name: string, createDriver: () => StorageDriver): void {
	describe(`actor SQLite on ${name}`, () => {
		it("runs queries with positional and named parameters and keeps rows across restarts", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			const items = t.client.store.getOrCreate("a");
			await items.add("apple", 3);
			await items.add("pear", 5);
			expect(await items.get("pear")).toEqual({ name: "pear", qty: 5 });
			expect(await items.get("none")).toBeNull();
			await t.restart();
			expect(await items.all()).toEqual([
				{ name: "apple", qty: 3 },
				{ name: "pear", qty: 5 },
			]);
			// Sleep and wake too.
			await t.clock.advance(60_000);
			await t.settle();
			expect(t.awakeActors()).toBe(0);
			expect(await items.count()).toBe(2);
		});

		it("maps SQLite types to JavaScript and back", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			expect(await t.client.store.getOrCreate("v").values()).toEqual({
				i: 7,
				big: 2n ** 60n,
				r: 1.5,
				t: "text",
				b: Uint8Array.of(1, 2, 3),
				n: null,
				yes: 1,
			});
		});

		it("runs scripts of several statements and returns the last rows", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			const items = t.client.store.getOrCreate("s");
			expect(await items.script()).toEqual([{ n: 1 }]);
			expect(await items.script()).toEqual([{ n: 2 }]);
		});

		it("stores a 1 MiB value and reads it back intact after a restart", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			const items = t.client.store.getOrCreate("big");
			await items.putBlob("blob", 1024 * 1024);
			const before = await items.blobChecksum("blob");
			await t.restart();
			expect(await items.blobChecksum("blob")).toEqual(before);
			expect(before?.length).toBe(1024 * 1024);
		});

		it("commits a transaction as a whole or not at all, and others wait for it", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			const items = t.client.store.getOrCreate("tx");
			await items.add("from", 10);
			await items.add("to", 0);
			await expect(items.transfer("from", "to", 4, true)).rejects.toMatchObject({
				code: "refused",
			});
			expect(await items.all()).toEqual([
				{ name: "from", qty: 10 },
				{ name: "to", qty: 0 },
			]);
			// A read issued while the transaction runs waits for its end.
			const transfer = items.transfer("from", "to", 4, false);
			const read = items.all();
			expect(await transfer).toBe("done");
			expect(await read).toEqual([
				{ name: "from", qty: 6 },
				{ name: "to", qty: 4 },
			]);
			expect(await items.nested()).toEqual([{ note: "outer" }]);
		});

		it("runs concurrent transactions one after the other", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			const items = t.client.store.getOrCreate("concurrent");
			await items.add("from", 100);
			await items.add("to", 0);
			const results = await Promise.all(
				Array.from({ length: 8 }, () => items.transfer("from", "to", 5, false)),
			);
			expect(results).toEqual(Array(8).fill("done"));
			expect(await items.all()).toEqual([
				{ name: "from", qty: 60 },
				{ name: "to", qty: 40 },
			]);
		});

		it("refuses a transaction left open by a script, rolling it back", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			const items = t.client.store.getOrCreate("open");
			await expect(items.leaveOpen()).rejects.toMatchObject({ code: "internal_error" });
			expect(await items.script()).toEqual([{ n: 1 }]);
		});

		it("bad SQL fails the call with an internal error, the actor keeps serving, data stays", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			const items = t.client.store.getOrCreate("bad");
			await items.add("kept");
			for (const which of ["syntax", "constraint", "param", "table"]) {
				await expect(items.bad(which)).rejects.toMatchObject({
					group: "core",
					code: "internal_error",
				});
			}
			expect(await items.caught()).toBe("constraint: NOT NULL constraint failed: items.name");
			expect(await items.all()).toEqual([{ name: "kept", qty: 1 }]);
			await t.restart();
			expect(await items.count()).toBe(1);
		});

		it("interrupts a statement that runs too long", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			const items = t.client.store.getOrCreate("slow");
			const started = Date.now();
			await expect(items.forever()).rejects.toMatchObject({ code: "internal_error" });
			expect(Date.now() - started).toBeLessThan(5_000);
			expect(await items.count()).toBe(0);
			// The next statements get their own time: a long one (many progress callbacks) completes.
			expect(await items.countTo(20_000)).toBe(20_000);
		});

		it("enforces the database size limit with a clear error and stays usable", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			const small = t.client.tiny.getOrCreate("limit");
			expect(await small.put(10_000)).toBe("stored");
			expect(await small.put(1024 * 1024)).toBe("full");
			expect(await small.put(10_000)).toBe("stored");
			expect(await small.total()).toBe(2);
		});

		it("rolls back a failed onMigrate and does not start the actor", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			const broken = t.client.brokenMigration.getOrCreate("m");
			await expect(broken.ping()).rejects.toBeInstanceOf(ActorError);
			await expect(broken.ping()).rejects.toBeInstanceOf(ActorError);
			// Each wake ran it again from scratch: the table did not survive the first failure.
			expect(migrations).toBeGreaterThanOrEqual(2);
		});

		it("says clearly when an actor without db uses c.db", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			await expect(t.client.plain.getOrCreate("p").useDb()).rejects.toMatchObject({
				group: "actor",
				code: "no_database",
			});
		});

		it("keeps state and SQL writes of one turn together when the commit fails", async () => {
			const controlled = controllableStorage(createDriver());
			await using t = await setupTest(registry, { storage: controlled.driver });
			const items = t.client.store.getOrCreate("atomic");
			await items.add("first");
			controlled.failNext(1);
			await expect(items.stateAndRow("lost")).rejects.toBeInstanceOf(ActorError);
			// The actor was reset to its last durable state: neither the row nor the state change.
			expect(await items.all()).toEqual([{ name: "first", qty: 1 }]);
			expect(await items.writes()).toBe(1);
			await items.stateAndRow("kept");
			await t.restart();
			expect(await items.writes()).toBe(101);
			expect(await items.count()).toBe(2);
		});

		it("is usable from workflow steps", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			const flow = t.client.withWorkflow.getOrCreate("w");
			await expect.poll(() => flow.done()).toBe(true);
			expect(await flow.log()).toEqual([{ step: "one" }, { step: "two" }]);
		});

		it("deletes the database with the actor", async () => {
			await using t = await setupTest(registry, { storage: createDriver() });
			const first = t.client.store.getOrCreate("gone");
			await first.add("x");
			const id = await first.resolve();
			await first.destroy();
			await t.settle();
			const again = t.client.store.getOrCreate("gone");
			expect(await again.resolve()).not.toBe(id);
			expect(await again.count()).toBe(0);
		});
	});
}
