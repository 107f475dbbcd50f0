// SQLite per actor: Tenon (WebAssembly SQLite, pages in LMDB, durable before
// the reply) next to plain SQLite on local disk (better-sqlite3, native,
// synchronous=FULL), in the same run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { actor, lmdbDriver, setup } from "tenon";
import { createClient } from "tenon/client";
import { db } from "tenon/db";
import { ensurePeers, peerRequire } from "../lib/peers.js";
import { progress } from "../lib/progress.js";
import { type BenchRow, unsupportedRow } from "../lib/report.js";
import { summarize, time } from "../lib/stats.js";

const BLOB_SIZE = 1024 * 1024;

const sqlBench = actor({
	db: db({
		onMigrate: (db) =>
			db.execute(`
				CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
				CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value INTEGER NOT NULL);
			`),
	}),
	createVars: () => ({ blob: makeBlob(BLOB_SIZE) }),
	actions: {
		/** Inserts one 1 MiB row; returns the time the SQL took inside the actor. */
		insertBlob: async (c, id: number) => {
			const started = performance.now();
			await c.db.execute("INSERT INTO blobs (id, data) VALUES (?, ?)", id, c.vars.blob);
			return performance.now() - started;
		},
		/** Inserts `count` small rows in one transaction. */
		insertMany: (c, start: number, count: number) =>
			c.db.transaction(async (tx) => {
				for (let i = 0; i < count; i++) {
					await tx.execute(
						"INSERT INTO rows (id, name, value) VALUES (?, ?, ?)",
						start + i,
						`row-${start + i}`,
						i,
					);
				}
			}),
		/** Runs `count` primary-key lookups inside the actor and returns each one's time (ms). */
		pointQueries: async (c, count: number, maxId: number) => {
			const times: number[] = [];
			for (let i = 0; i < count; i++) {
				const id = 1 + ((i * 7919) % maxId);
				const started = performance.now();
				const rows = await c.db.execute("SELECT name, value FROM rows WHERE id = ?", id);
				times.push(performance.now() - started);
				if (rows.length !== 1) throw new Error(`row ${id} missing`);
			}
			return times;
		},
	},
	options: { noSleep: true },
});

function makeBlob(size: number): Uint8Array {
	const blob = new Uint8Array(size);
	let x = 2_463_534_242;
	for (let i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		blob[i] = x & 0xff;
	}
	return blob;
}

async function tenon(quick: boolean): Promise<BenchRow[]> {
	const dir = mkdtempSync(join(tmpdir(), "tenon-bench-sqlite-"));
	const registry = setup({
		use: { sqlBench },
		logLevel: "warn",
		rateLimits: { perConnection: false },
	});
	const server = await registry.start({
		port: 0,
		host: "127.0.0.1",
		storage: lmdbDriver({ path: dir }),
	});
	const client = createClient<typeof registry>({
		messageRate: false,
		endpoint: server.url,
		encoding: "cbor",
	});
	const conn = client.sqlBench.getOrCreate("bench").connect();
	try {
		const blobRuns = quick ? 5 : 30;
		const txRuns = quick ? 2 : 8;
		const rowsPerTx = quick ? 2_000 : 10_000;
		await conn.insertBlob(0); // warm up
		const blobRoundTrip: number[] = [];
		const blobSql: number[] = [];
		for (let i = 1; i <= blobRuns; i++) {
			let inside = 0;
			blobRoundTrip.push(
				await time(async () => {
					inside = await conn.insertBlob(i);
				}),
			);
			blobSql.push(inside);
		}
		const tx: number[] = [];
		for (let i = 0; i < txRuns; i++) {
			tx.push(await time(() => conn.insertMany(i * rowsPerTx + 1, rowsPerTx)));
		}
		const queries = await conn.pointQueries(quick ? 2_000 : 20_000, txRuns * rowsPerTx);
		const durability = "LMDB fsync before reply";
		return [
			{
				suite: "sqlite",
				workload: "insert one 1 MiB row (client round trip, durable)",
				system: "Tenon (lmdb)",
				durability,
				summary: summarize(blobRoundTrip),
				target: { median: 20, text: "<= 20 ms" },
			},
			{
				suite: "sqlite",
				workload: "insert one 1 MiB row (SQL inside the actor)",
				system: "Tenon (lmdb)",
				durability: "in memory; committed with the turn",
				summary: summarize(blobSql),
			},
			{
				suite: "sqlite",
				workload: `${rowsPerTx.toLocaleString("en")} small rows in one transaction (round trip, durable)`,
				system: "Tenon (lmdb)",
				durability,
				summary: summarize(tx),
			},
			{
				suite: "sqlite",
				workload: "point query by primary key (inside the actor)",
				system: "Tenon (lmdb)",
				durability: "read",
				summary: summarize(queries),
				target: { median: 0.05, text: "<= 0.05 ms" },
			},
		];
	} finally {
		await conn.dispose();
		await client.dispose();
		await server.close();
		rmSync(dir, { recursive: true, force: true });
	}
}

type Native = {
	exec(sql: string): void;
	pragma(sql: string): unknown;
	prepare(sql: string): { run(...args: unknown[]): unknown; get(...args: unknown[]): unknown };
	transaction<T extends (...args: never[]) => unknown>(fn: T): T;
	close(): void;
};

const NATIVE = "SQLite, native, local disk (better-sqlite3)";
const NATIVE_DURABILITY = "fsync on commit (synchronous=FULL)";

/** Plain SQLite on local disk through better-sqlite3 (a benchmark peer), if it built. */
function plainSqlite(quick: boolean): BenchRow[] {
	const dir = mkdtempSync(join(tmpdir(), "tenon-bench-native-"));
	let database: Native;
	try {
		const Database: new (path: string) => Native = peerRequire("better-sqlite3");
		database = new Database(join(dir, "bench.db"));
	} catch (error) {
		// Not installed, or installed without its native build.
		rmSync(dir, { recursive: true, force: true });
		const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
		return [
			unsupportedRow(
				{
					suite: "sqlite",
					workload: "all",
					system: NATIVE,
					durability: NATIVE_DURABILITY,
				},
				`not run: ${reason}`,
			),
		];
	}
	try {
		database.pragma("journal_mode = DELETE");
		database.pragma("synchronous = FULL");
		database.exec(`
			CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
			CREATE TABLE rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value INTEGER NOT NULL);
		`);
		const blob = Buffer.from(makeBlob(BLOB_SIZE));
		const insertBlob = database.prepare("INSERT INTO blobs (id, data) VALUES (?, ?)");
		const insertRow = database.prepare("INSERT INTO rows (id, name, value) VALUES (?, ?, ?)");
		const get = database.prepare("SELECT name, value FROM rows WHERE id = ?");
		const blobRuns = quick ? 5 : 30;
		const txRuns = quick ? 2 : 8;
		const rowsPerTx = quick ? 2_000 : 10_000;
		insertBlob.run(0, blob);
		const blobs: number[] = [];
		for (let i = 1; i <= blobRuns; i++) {
			const started = performance.now();
			insertBlob.run(i, blob);
			blobs.push(performance.now() - started);
		}
		const many = database.transaction((start: number) => {
			for (let i = 0; i < rowsPerTx; i++) insertRow.run(start + i, `row-${start + i}`, i);
		});
		const tx: number[] = [];
		for (let i = 0; i < txRuns; i++) {
			const started = performance.now();
			many(i * rowsPerTx + 1);
			tx.push(performance.now() - started);
		}
		const queries: number[] = [];
		const maxId = txRuns * rowsPerTx;
		for (let i = 0; i < (quick ? 2_000 : 20_000); i++) {
			const id = 1 + ((i * 7919) % maxId);
			const started = performance.now();
			get.get(id);
			queries.push(performance.now() - started);
		}
		const durability = NATIVE_DURABILITY;
		const system = NATIVE;
		return [
			{
				suite: "sqlite",
				workload: "insert one 1 MiB row (client round trip, durable)",
				system,
				durability,
				summary: summarize(blobs),
				note: "in-process call, no network",
			},
			{
				suite: "sqlite",
				workload: `${rowsPerTx.toLocaleString("en")} small rows in one transaction (round trip, durable)`,
				system,
				durability,
				summary: summarize(tx),
				note: "in-process call, no network",
			},
			{
				suite: "sqlite",
				workload: "point query by primary key (inside the actor)",
				system,
				durability: "read",
				summary: summarize(queries),
			},
		];
	} finally {
		database.close();
		rmSync(dir, { recursive: true, force: true });
	}
}

/** Runs the SQLite workloads on Tenon and, when available, on plain SQLite. */
export async function sqliteSuite(options: { quick: boolean }): Promise<BenchRow[]> {
	if (options.quick) return tenon(true);
	const peersMissing = ensurePeers();
	if (!peersMissing) progress(`sqlite › ${NATIVE}`);
	const native = peersMissing
		? [
				unsupportedRow(
					{ suite: "sqlite", workload: "all", system: NATIVE, durability: NATIVE_DURABILITY },
					`not run: ${peersMissing}`,
				),
			]
		: plainSqlite(false);
	progress("sqlite › Tenon (lmdb)");
	return [...(await tenon(false)), ...native];
}
