// Cloudflare Durable Objects in workerd (Miniflare), storage persisted to a
// temporary directory. Clients speak raw WebSockets and HTTP to the worker.
import { PlainHttp } from "../lib/http-post.js";
import { startPeer } from "../lib/peers.js";
import type { ServerProcess } from "../lib/process.js";
import { memoryCurve, pipelined } from "../lib/workloads.js";
import { openChannel, rawSocketBroadcast } from "../lib/ws-channel.js";
import type { Caller, System } from "./types.js";

export function workerdSystem(): System {
	let server: ServerProcess | undefined;
	const url = (path: string) => `${(server as ServerProcess).url}${path}`;
	const ws = (path: string) => url(path).replace(/^http/, "ws");
	// Plain HTTP from Node's cheapest client, as Tenon's client calls (lib/http-post.ts).
	const plain = new PlainHttp();
	const increment = async (key: string) => {
		const answer = await plain.send("POST", url(`/counter/${key}/increment`));
		if (answer.status !== 200) throw new Error(`workerd: HTTP ${answer.status}`);
		return JSON.parse(answer.text);
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
		unsupported: {
			serverFanout: "no probe inside workerd (its sockets are out of the benchmark's reach)",
		},
		relaxedDurability: "put with allowUnconfirmed: the reply does not wait for the write",
		async start() {
			server = await startPeer("workerd.mjs", (dir) => ({ TENON_BENCH_DATA_DIR: dir }));
		},
		async stop() {
			plain.close();
			await server?.stop();
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
		async throughput({ actors, depth, seconds, signal }) {
			const channels = await Promise.all(
				Array.from({ length: actors }, (_, i) => openChannel(ws(`/counter/tp-${i}/ws`))),
			);
			await Promise.all(channels.map((channel) => channel.request()));
			const perSecond = await pipelined(
				channels.map((channel) => () => channel.request()),
				depth,
				seconds,
				signal,
			);
			await Promise.all(channels.map((channel) => channel.close()));
			return perSecond;
		},
		async memory({ counts, budgetMs, signal, report }) {
			const srv = server as ServerProcess;
			return memoryCurve({
				counts,
				budgetMs,
				touch: async (i) => (await fetch(url(`/idle/idle-${i}/touch`))).text(),
				measure: async () => srv.rss(),
				signal,
				report,
			});
		},
		async broadcast({ connections, processes, rounds, signal }) {
			// Open a few at a time: workerd answers 500 to a burst of a thousand upgrades.
			// No probe: workerd's sockets are out of the bench's reach.
			return rawSocketBroadcast({
				url: ws("/room/fanout/ws"),
				connections,
				processes,
				rounds,
				openConcurrency: 32,
				signal,
			});
		},
	};
}
