// Per-call wall time, server CPU and runner CPU for Tenon (relaxed, durable) and the ws floors.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "tenon/client";
import { WebSocket } from "ws";
import { type ServerProcess, sessionPids, startBundled } from "../lib/process.js";
import type { benchRegistry } from "../servers/tenon.js";

const N = Number(process.argv[2] ?? 3000);
const ROUNDS = Number(process.argv[3] ?? 5);
const servers = join(import.meta.dirname, "..", "servers");
const ticks = (server: ServerProcess) =>
	sessionPids(server.child.pid as number).reduce((sum, pid) => {
		const f = readFileSync(`/proc/${pid}/stat`, "utf8");
		const x = f.slice(f.lastIndexOf(")") + 2).split(" ");
		return sum + Number(x[11]) + Number(x[12]);
	}, 0);
type Sys = { name: string; server: ServerProcess; call: () => Promise<unknown> };
const systems: Sys[] = [];
{
	const server = await startBundled(join(servers, "tenon.ts"), {
		TENON_DATA_DIR: mkdtempSync(join(tmpdir(), "cpc-")),
		TENON_LOG_LEVEL: "error",
	});
	const client = createClient<typeof benchRegistry>({ endpoint: server.url });
	const d = client.counter.getOrCreate("d").connect();
	const r = client.relaxedCounter.getOrCreate("r").connect();
	const mode = process.argv[4] ?? "ws";
	if (mode === "http") {
		const h = client.counter.getForId(await client.counter.getOrCreate("h").resolve());
		systems.push({ name: "tenon durable", server, call: () => h.increment() });
	} else systems.push({ name: "tenon durable", server, call: () => d.increment() });
	const server2 = await startBundled(join(servers, "tenon.ts"), {
		TENON_DATA_DIR: mkdtempSync(join(tmpdir(), "cpc-")),
		TENON_LOG_LEVEL: "error",
	});
	const client2 = createClient<typeof benchRegistry>({ endpoint: server2.url });
	const r2 = client2.relaxedCounter.getOrCreate("r").connect();
	if (mode === "http") {
		const h2 = client2.relaxedCounter.getForId(
			await client2.relaxedCounter.getOrCreate("h").resolve(),
		);
		systems.push({ name: "tenon relaxed", server: server2, call: () => h2.increment() });
	} else systems.push({ name: "tenon relaxed", server: server2, call: () => r2.increment() });
	void r;
}
for (const durable of [false, true]) {
	const env: Record<string, string> = durable
		? { FLOOR_SYNC_FILE: join(mkdtempSync(join(tmpdir(), "cpc-")), "ws.log") }
		: {};
	if (process.argv[4] === "http") {
		const server = await startBundled(join(servers, "floor-http.ts"), env);
		const url = `${server.url}/action/increment`;
		systems.push({
			name: durable ? "floor durable" : "floor bare",
			server,
			call: async () =>
				(
					await fetch(url, {
						method: "POST",
						headers: { "content-type": "application/json" },
						body: '{"args":[]}',
					})
				).json(),
		});
		continue;
	}
	const server = await startBundled(join(servers, "floor-ws.ts"), env);
	const socket = new WebSocket(server.url, { perMessageDeflate: false });
	await new Promise((res) => socket.once("open", res));
	let waiting: (() => void) | undefined;
	socket.on("message", () => waiting?.());
	systems.push({
		name: durable ? "floor durable" : "floor bare",
		server,
		call: () =>
			new Promise<void>((res) => {
				waiting = res;
				socket.send("inc");
			}),
	});
}
const acc = new Map<string, { wall: number[]; srv: number[]; run: number[] }>();
for (const s of systems) {
	for (let i = 0; i < 500; i++) await s.call();
	acc.set(s.name, { wall: [], srv: [], run: [] });
}
for (let round = 0; round < ROUNDS; round++) {
	for (const s of round % 2 ? [...systems].reverse() : systems) {
		const t0 = ticks(s.server);
		const c0 = process.cpuUsage();
		const w0 = performance.now();
		for (let i = 0; i < N; i++) await s.call();
		const w = performance.now() - w0;
		const c = process.cpuUsage(c0);
		const t = ticks(s.server) - t0;
		const a = acc.get(s.name)!;
		a.wall.push((w * 1000) / N);
		a.srv.push((t * 10_000) / N);
		a.run.push((c.user + c.system) / N);
	}
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!.toFixed(0);
console.log(
	"| system | wall µs/call | server CPU µs/call | runner CPU µs/call |\n|---|---|---|---|",
);
for (const [name, a] of acc)
	console.log(`| ${name} | ${med(a.wall)} | ${med(a.srv)} | ${med(a.run)} |`);
for (const s of systems) await s.server.stop();
process.exit(0);
