// Runs the Durable Objects benchmark worker in workerd (Miniflare), storage
// persisted to TENON_BENCH_DATA_DIR. Prints "READY <url>".
import { readFileSync } from "node:fs";
import { Miniflare } from "miniflare";

const dataDir = process.env.TENON_BENCH_DATA_DIR;
if (!dataDir) throw new Error("TENON_BENCH_DATA_DIR is required");

const mf = new Miniflare({
	modules: true,
	script: readFileSync(new URL("./workerd-worker.js", import.meta.url), "utf8"),
	compatibilityDate: "2026-04-01",
	durableObjects: { COUNTER: "Counter", ROOM: "Room", IDLE: "Idle", LOBBY: "Lobby" },
	durableObjectsPersist: dataDir,
	host: "127.0.0.1",
	port: 0,
});
const url = await mf.ready;
process.stdout.write(`READY ${url.origin}\n`);
process.once("SIGTERM", () => {
	void mf.dispose().then(() => process.exit(0));
});
