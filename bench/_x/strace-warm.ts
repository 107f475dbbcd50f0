import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "tenon/client";
import { startBundled } from "../lib/process.js";
import type { benchRegistry } from "../servers/tenon.js";

const relaxed = process.argv[2] === "relaxed";
const dataDir = mkdtempSync(join(tmpdir(), "tenon-strace-"));
const server = await startBundled(join(import.meta.dirname, "..", "servers", "tenon.ts"), {
	TENON_DATA_DIR: dataDir,
	TENON_LOG_LEVEL: "error",
});
const client = createClient<typeof benchRegistry>({ endpoint: server.url });
const conn = (relaxed ? client.relaxedCounter : client.counter).getOrCreate("s").connect();
for (let i = 0; i < 300; i++) await conn.increment();
const pid = (server as any).child?.pid ?? (server as any).pid;
const st = spawn("strace", ["-f", "-c", "-p", String(pid), "-o", "/tmp/strace.out"], {
	stdio: "inherit",
});
await new Promise((r) => setTimeout(r, 1000));
for (let i = 0; i < 1000; i++) await conn.increment();
st.kill("SIGINT");
await new Promise((r) => st.on("exit", r));
await client.dispose();
await server.stop();
