// A CPU profile of one hot path, the warm durable action over a connection:
// starts the bench server with --cpu-prof, calls `increment` on one
// connection N times in a row, stops the server (which writes the profile).
//   npx tsx --conditions=tenon-source bench/profile-warm.ts [calls] [profile dir] [relaxed] [interval µs]
// The sampling interval defaults to V8's (1 ms, a few samples a call); 25 µs
// resolves the phases of one call.
// With `relaxed`, the actor replies before its write is on disk: what is
// left is Tenon's own work per action (and the socket).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "tenon/client";
import { startBundled } from "./lib/process.js";
import type { benchRegistry } from "./servers/tenon.js";

const calls = Number(process.argv[2] ?? 5_000);
/** Calls before the measured ones (the core suite warms up with 5,000). */
const WARMUP_CALLS = 5_000;
const profileDir = process.argv[3] ?? mkdtempSync(join(tmpdir(), "tenon-profile-"));
const relaxed = process.argv[4] === "relaxed";
const interval = process.argv[5] === undefined ? [] : [`--cpu-prof-interval=${process.argv[5]}`];
const dataDir = mkdtempSync(join(tmpdir(), "tenon-bench-profile-"));
const server = await startBundled(
	join(import.meta.dirname, "servers", "tenon.ts"),
	{ TENON_DATA_DIR: dataDir, TENON_LOG_LEVEL: "error" },
	["--cpu-prof", `--cpu-prof-dir=${profileDir}`, ...interval],
);
const client = createClient<typeof benchRegistry>({ messageRate: false, endpoint: server.url });
try {
	const conn = (relaxed ? client.relaxedCounter : client.counter).getOrCreate("profile").connect();
	// As many calls as the core suite's warm-up: after 200, the JIT still compiled on its
	// helper threads through the measured calls (70 µs of CPU a call of row 2b, 2026-11-25).
	for (let i = 0; i < WARMUP_CALLS; i++) await conn.increment();
	const started = performance.now();
	for (let i = 0; i < calls; i++) await conn.increment();
	const elapsed = performance.now() - started;
	console.log(`${calls} calls, ${((elapsed * 1000) / calls).toFixed(1)} µs each`);
} finally {
	await client.dispose();
	await server.stop();
	rmSync(dataDir, { recursive: true, force: true });
}
console.log(`profile in ${profileDir}`);
