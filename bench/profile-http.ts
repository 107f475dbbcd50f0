// A CPU profile of row 2's hot path, the stateless HTTP action on a warm
// actor: starts the bench server with --cpu-prof, calls `increment` over HTTP
// keep-alive N times in a row (Tenon's client, CBOR, as row 2 does), stops
// the server (which writes the profile). Prints the wall time per call and
// the server's CPU time per call (user + system, from /proc), and the same
// for the bare node:http floor server called as row 2 calls it: CPU time
// moves far less with the neighbours' load than latency does.
//   npx tsx --conditions=tenon-source bench/profile-http.ts [calls] [profile dir | -] [relaxed]
// With `-` instead of a directory, no profile is taken (the profiler's own
// sampling adds to the server's CPU time).
// With `relaxed`, the actor replies before its write is on disk: what is
// left is Tenon's own work per request (and the socket).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "tenon/client";
import { PlainHttp } from "./lib/http-post.js";
import { type ServerProcess, startBundled } from "./lib/process.js";
import type { benchRegistry } from "./servers/tenon.js";

const calls = Number(process.argv[2] ?? 5_000);
/** Calls before the measured ones (the core suite warms up with 5,000). */
const WARMUP_CALLS = 5_000;
const profileDir =
	process.argv[3] === "-"
		? undefined
		: (process.argv[3] ?? mkdtempSync(join(tmpdir(), "tenon-profile-")));
const relaxed = process.argv[4] === "relaxed";

/** CPU time (user + system, ms) a process has used so far (Linux clock ticks of 10 ms). */
function cpuMsOf(server: ServerProcess): number {
	const stat = readFileSync(`/proc/${server.child.pid}/stat`, "utf8");
	const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
	return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Wall and server CPU time per call (µs) of `calls` sequential calls after a warm-up. */
async function measure(server: ServerProcess, call: () => Promise<unknown>, label: string) {
	// As many calls as the core suite's warm-up: after 200, the JIT still compiled on its
	// helper threads through the measured calls (70 µs of CPU a call of row 2b, 2026-11-25).
	for (let i = 0; i < WARMUP_CALLS; i++) await call();
	const cpuBefore = cpuMsOf(server);
	const started = performance.now();
	for (let i = 0; i < calls; i++) await call();
	const wall = ((performance.now() - started) * 1000) / calls;
	const cpu = ((cpuMsOf(server) - cpuBefore) * 1000) / calls;
	console.log(
		`${label}: ${calls} calls, ${wall.toFixed(1)} µs each, server CPU ${cpu.toFixed(1)} µs per call`,
	);
	return { wall, cpu };
}

const floor = await startBundled(join(import.meta.dirname, "servers", "floor-http.ts"));
let floorCost: { wall: number; cpu: number };
const plain = new PlainHttp();
try {
	floorCost = await measure(
		floor,
		async () =>
			JSON.parse(
				(
					await plain.send("POST", `${floor.url}/action/increment`, '{"args":[]}', {
						"content-type": "application/json",
					})
				).text,
			),
		"floor",
	);
} finally {
	plain.close();
	await floor.stop();
}

const dataDir = mkdtempSync(join(tmpdir(), "tenon-bench-profile-"));
const server = await startBundled(
	join(import.meta.dirname, "servers", "tenon.ts"),
	{ TENON_DATA_DIR: dataDir, TENON_LOG_LEVEL: "error" },
	profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
);
const client = createClient<typeof benchRegistry>({
	messageRate: false,
	endpoint: server.url,
	encoding: "cbor",
});
try {
	const actors = relaxed ? client.relaxedCounter : client.counter;
	const handle = actors.getForId(await actors.getOrCreate("profile").resolve());
	const tenon = await measure(
		server,
		() => handle.increment(),
		relaxed ? "tenon relaxed" : "tenon",
	);
	console.log(
		`tenon / floor: wall ${(tenon.wall / floorCost.wall).toFixed(2)}x, server CPU ${(tenon.cpu / floorCost.cpu).toFixed(2)}x`,
	);
} finally {
	await client.dispose();
	await server.stop();
	rmSync(dataDir, { recursive: true, force: true });
}
if (profileDir !== undefined) console.log(`profile in ${profileDir}`);
