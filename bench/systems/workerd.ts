// Cloudflare Durable Objects in workerd (Miniflare), storage persisted to a
// temporary directory. Clients speak raw WebSockets and HTTP to the worker.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WebSocket } from "ws";
import { benchDir, peerScript } from "../lib/peers.js";
import { type ServerProcess, startProcess } from "../lib/process.js";
import { fanout, forRange, memoryCurve, pipelined } from "../lib/workloads.js";
import { openChannel, openSocket } from "../lib/ws-channel.js";
import type { Caller, System } from "./types.js";

export function workerdSystem(): System {
	let server: ServerProcess | undefined;
	let dataDir = "";
	const url = (path: string) => `${(server as ServerProcess).url}${path}`;
	const ws = (path: string) => url(path).replace(/^http/, "ws");
	const increment = async (key: string) => {
		const response = await fetch(url(`/counter/${key}/increment`), { method: "POST" });
		if (!response.ok) throw new Error(`workerd: HTTP ${response.status}`);
		return response.json();
	};

	return {
		name: "Durable Objects (workerd)",
		durability: "fsync before reply",
		durabilityDetail:
			"the output gate holds the reply until the object's write is in its local SQLite database, fsynced (workerd via Miniflare, storage persisted to disk)",
		notes: {
			wake: "evicted with state.abort(); the next request loads the object from disk",
			memory: "RSS of workerd + Miniflare's Node host",
		},
		relaxedDurability: "put with allowUnconfirmed: the reply does not wait for the write",
		async start() {
			dataDir = mkdtempSync(join(tmpdir(), "tenon-bench-workerd-"));
			server = await startProcess(process.execPath, [peerScript("workerd.mjs")], {
				cwd: benchDir,
				env: { TENON_BENCH_DATA_DIR: dataDir },
			});
		},
		async stop() {
			await server?.stop();
			rmSync(dataDir, { recursive: true, force: true });
		},
		async warmConnection(key): Promise<Caller> {
			const channel = await openChannel(ws(`/counter/${key}/ws`));
			await channel.request();
			return { call: () => channel.request(), close: () => channel.close() };
		},
		async warmRelaxed(key): Promise<Caller> {
			const channel = await openChannel(ws(`/counter/${key}/ws-relaxed`));
			await channel.request();
			return { call: () => channel.request(), close: () => channel.close() };
		},
		async httpAction(key): Promise<Caller> {
			await increment(key);
			return { call: () => increment(key), close: async () => {} };
		},
		async createAndCall(key) {
			await increment(key);
		},
		async sleep(keys) {
			for (const key of keys) {
				await increment(key);
				// abort() fails the request that asked for it, by design.
				await (await fetch(url(`/counter/${key}/sleep`), { method: "POST" })).text();
			}
		},
		async wakeAndCall(key) {
			await increment(key);
		},
		async throughput({ actors, depth, seconds }) {
			const channels = await Promise.all(
				Array.from({ length: actors }, (_, i) => openChannel(ws(`/counter/tp-${i}/ws`))),
			);
			await Promise.all(channels.map((channel) => channel.request()));
			const perSecond = await pipelined(
				channels.map((channel) => () => channel.request()),
				depth,
				seconds,
			);
			await Promise.all(channels.map((channel) => channel.close()));
			return perSecond;
		},
		async memory(counts, budgetMs) {
			const srv = server as ServerProcess;
			return memoryCurve({
				counts,
				budgetMs,
				touch: async (i) => (await fetch(url(`/idle/idle-${i}/touch`))).text(),
				measure: async () => srv.rss(),
			});
		},
		async broadcast(connections, rounds) {
			// Open a few at a time: workerd answers 500 to a burst of a thousand upgrades.
			const sockets: WebSocket[] = [];
			await forRange(0, connections, 32, async () => {
				sockets.push(await openSocket(ws("/room/fanout/ws")));
			});
			const times = await fanout({
				subscribers: connections,
				rounds,
				onArrival: (arrived) => {
					for (const socket of sockets) {
						socket.on("message", (data) => {
							if (data.toString().startsWith("tick ")) arrived();
						});
					}
				},
				trigger: async (at) => (sockets[0] as (typeof sockets)[number]).send(`ping ${at}`),
			});
			for (const socket of sockets) socket.close();
			return times;
		},
	};
}
