// A CPU profile of the core suite's row 5 (throughput): the bench server
// with --cpu-prof, 1,000 actors, one connection each, 8 calls in flight per
// connection, for a few seconds; the runner (this process, Tenon's client)
// can be profiled too, since it shares the machine's cores with the server.
//   npx tsx --conditions=tenon-source bench/profile-throughput.ts [seconds] [profile dir] [actors]
// Prints the rate, the runner's CPU and where the profiles are (the server's
// is written when it stops). Under `strace -f -c -e trace=fdatasync` the
// fdatasync count over the actions gives the size of the commit batches.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "tenon/client";
import { startBundled } from "./lib/process.js";
import { pipelined } from "./lib/workloads.js";
import type { benchRegistry } from "./servers/tenon.js";

const seconds = Number(process.argv[2] ?? 5);
const profileDir = process.argv[3] ?? mkdtempSync(join(tmpdir(), "tenon-profile-"));
const actors = Number(process.argv[4] ?? 1_000);
mkdirSync(profileDir, { recursive: true });
const DEPTH = 8;
const dataDir = mkdtempSync(join(tmpdir(), "tenon-bench-profile-"));
const server = await startBundled(
	join(import.meta.dirname, "servers", "tenon.ts"),
	{ TENON_DATA_DIR: dataDir, TENON_LOG_LEVEL: "error" },
	["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
);
const client = createClient<typeof benchRegistry>({
	messageRate: false,
	endpoint: server.url,
	encoding: "cbor",
});
const session = new Session();
try {
	const conns = Array.from({ length: actors }, (_, i) =>
		client.counter.getOrCreate(`tp-${i}`).connect(),
	);
	await Promise.all(conns.map((conn) => conn.increment()));
	// One short round first: JIT and the actors' first commits.
	await pipelined(
		conns.map((conn) => () => conn.increment()),
		DEPTH,
		1,
	);
	session.connect();
	await session.post("Profiler.enable");
	await session.post("Profiler.start");
	const cpu = process.cpuUsage();
	const rate = await pipelined(
		conns.map((conn) => () => conn.increment()),
		DEPTH,
		seconds,
	);
	const used = process.cpuUsage(cpu);
	const { profile } = await session.post("Profiler.stop");
	writeFileSync(join(profileDir, `runner-${Date.now()}.cpuprofile`), JSON.stringify(profile));
	console.log(`${Math.round(rate).toLocaleString("en")} durable actions/s`);
	console.log(
		`runner CPU: ${(((used.user + used.system) / 1000 / (seconds * 1000)) * 100).toFixed(0)}% of one core`,
	);
	await Promise.all(conns.map((conn) => conn.dispose()));
} finally {
	session.disconnect();
	await client.dispose();
	await server.stop();
	rmSync(dataDir, { recursive: true, force: true });
}
console.log(`profiles in ${profileDir}`);
