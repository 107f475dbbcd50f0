// A CPU profile of row 2's hot path, the stateless HTTP action on a warm
// actor: starts the bench server with --cpu-prof, calls `increment` over HTTP
// keep-alive N times in a row (Tenon's client, CBOR, as row 2 does), stops
// the server (which writes the profile).
//   npx tsx --conditions=tenon-source bench/profile-http.ts [calls] [profile dir] [relaxed]
// With `relaxed`, the actor replies before its write is on disk: what is
// left is Tenon's own work per request (and the socket).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "tenon/client";
import { startBundled } from "./lib/process.js";
import type { benchRegistry } from "./servers/tenon.js";

const calls = Number(process.argv[2] ?? 5_000);
const profileDir = process.argv[3] ?? mkdtempSync(join(tmpdir(), "tenon-profile-"));
const relaxed = process.argv[4] === "relaxed";
const dataDir = mkdtempSync(join(tmpdir(), "tenon-bench-profile-"));
const server = await startBundled(
	join(import.meta.dirname, "servers", "tenon.ts"),
	{ TENON_DATA_DIR: dataDir, TENON_LOG_LEVEL: "error" },
	["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
);
const client = createClient<typeof benchRegistry>({ endpoint: server.url, encoding: "cbor" });
try {
	const actors = relaxed ? client.relaxedCounter : client.counter;
	const handle = actors.getForId(await actors.getOrCreate("profile").resolve());
	for (let i = 0; i < 200; i++) await handle.increment();
	const started = performance.now();
	for (let i = 0; i < calls; i++) await handle.increment();
	const elapsed = performance.now() - started;
	console.log(`${calls} calls, ${((elapsed * 1000) / calls).toFixed(1)} µs each`);
} finally {
	await client.dispose();
	await server.stop();
	rmSync(dataDir, { recursive: true, force: true });
}
console.log(`profile in ${profileDir}`);
