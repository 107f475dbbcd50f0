// The sqlite suite's bulk insert (10,000 small rows in one durable transaction),
// measured in one process against native SQLite (better-sqlite3,
// synchronous=FULL) in alternating rounds, split into its parts, and
// optionally with a CPU profile of Tenon's rounds:
//   npx tsx --conditions=tenon-source bench/profile-sqlite.ts [rounds] [profile dir]
// Parts: "round trip" is the suite's row (client call -> action -> inserts ->
// durable commit -> reply); "SQL" is the transaction inside the action (the
// inserts and COMMIT, no storage write); the rest is the turn's commit and the
// call over the connection.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { actor, lmdbDriver, setup } from "tenon";
import { createClient } from "tenon/client";
import { db } from "tenon/db";
import { ensurePeers, peerRequire } from "./lib/peers.js";
import { ms, summarize } from "./lib/stats.js";

const rounds = Number(process.argv[2] ?? 20);
const profileDir = process.argv[3];
const ROWS = 10_000;

const bulk = actor({
	db: db({
		onMigrate: (db) =>
			db.execute(
				"CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value INTEGER NOT NULL)",
			),
	}),
	actions: {
		/** The suite's action, returning the time its transaction took inside the actor. */
		insertMany: async (c, start: number, count: number) => {
			const started = performance.now();
			await c.db.transaction(async (tx) => {
				for (let i = 0; i < count; i++) {
					await tx.execute(
						"INSERT INTO rows (id, name, value) VALUES (?, ?, ?)",
						start + i,
						`row-${start + i}`,
						i,
					);
				}
			});
			return performance.now() - started;
		},
	},
	options: { noSleep: true },
});

type Native = {
	pragma(sql: string): unknown;
	exec(sql: string): void;
	prepare(sql: string): { run(...args: unknown[]): unknown };
	transaction<T extends (...args: never[]) => unknown>(fn: T): T;
	close(): void;
};

const missing = ensurePeers();
const Database: (new (path: string) => Native) | undefined = missing
	? undefined
	: peerRequire("better-sqlite3");
const nativeDir = mkdtempSync(join(tmpdir(), "tenon-profile-native-"));
const native = Database ? new Database(join(nativeDir, "bench.db")) : undefined;
native?.pragma("journal_mode = DELETE");
native?.pragma("synchronous = FULL");
native?.exec(
	"CREATE TABLE rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value INTEGER NOT NULL)",
);
const insertRow = native?.prepare("INSERT INTO rows (id, name, value) VALUES (?, ?, ?)");
const nativeMany = native?.transaction((start: number) => {
	for (let i = 0; i < ROWS; i++) insertRow?.run(start + i, `row-${start + i}`, i);
});

const dir = mkdtempSync(join(tmpdir(), "tenon-profile-sqlite-"));
const registry = setup({ use: { bulk }, logLevel: "warn", rateLimits: { perConnection: false } });
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
const conn = client.bulk.getOrCreate("bench").connect();
const session = profileDir ? new Session() : undefined;
try {
	// Warm up both (JIT, the first pages of the tables).
	await conn.insertMany(1_000_000_000, 2_000);
	nativeMany?.(1_000_000_000);
	if (session) {
		session.connect();
		await session.post("Profiler.enable");
		await session.post("Profiler.setSamplingInterval", { interval: 100 });
		await session.post("Profiler.start");
	}
	const tenonTimes: number[] = [];
	const sqlTimes: number[] = [];
	const nativeTimes: number[] = [];
	// CPU time of the process (client, server and native SQLite share it):
	// less moved by other processes on the machine than the wall clock.
	const tenonCpu: number[] = [];
	const nativeCpu: number[] = [];
	const cpuSince = (start: NodeJS.CpuUsage) => {
		const used = process.cpuUsage(start);
		return (used.user + used.system) / 1000;
	};
	for (let i = 0; i < rounds; i++) {
		const started = performance.now();
		const cpu = process.cpuUsage();
		sqlTimes.push(await conn.insertMany(i * ROWS + 1, ROWS));
		tenonTimes.push(performance.now() - started);
		tenonCpu.push(cpuSince(cpu));
		if (nativeMany) {
			const nativeStarted = performance.now();
			const nativeCpuStart = process.cpuUsage();
			nativeMany(i * ROWS + 1);
			nativeTimes.push(performance.now() - nativeStarted);
			nativeCpu.push(cpuSince(nativeCpuStart));
		}
	}
	if (session) {
		const { profile } = await session.post("Profiler.stop");
		const file = join(profileDir as string, `sqlite-bulk-${Date.now()}.cpuprofile`);
		writeFileSync(file, JSON.stringify(profile));
		console.log(`profile in ${file}`);
	}
	const tenon = summarize(tenonTimes).median;
	const sql = summarize(sqlTimes).median;
	console.log(`${rounds} rounds of ${ROWS} rows, medians:`);
	console.log(`  Tenon round trip  ${ms(tenon)}`);
	console.log(`  Tenon SQL inside  ${ms(sql)}`);
	const outside = summarize(tenonTimes.map((t, i) => t - (sqlTimes[i] as number))).median;
	console.log(`  Tenon outside SQL ${ms(outside)} (the commit, the turn, the call)`);
	if (nativeTimes.length > 0) {
		const nativeMedian = summarize(nativeTimes).median;
		console.log(`  native SQLite     ${ms(nativeMedian)}`);
		console.log(`  ratio             ${(tenon / nativeMedian).toFixed(2)}x`);
		const cpuRatio = summarize(tenonCpu).median / summarize(nativeCpu).median;
		console.log(
			`  CPU per round     Tenon ${ms(summarize(tenonCpu).median)}, native ${ms(summarize(nativeCpu).median)} (${cpuRatio.toFixed(2)}x)`,
		);
	} else {
		console.log(`  native SQLite     not run: ${missing}`);
	}
} finally {
	session?.disconnect();
	await conn.dispose();
	await client.dispose();
	await server.close();
	native?.close();
	rmSync(dir, { recursive: true, force: true });
	rmSync(nativeDir, { recursive: true, force: true });
}
