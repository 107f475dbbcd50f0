import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "tenon/client";
import { type ServerProcess, startBundled } from "../lib/process.js";
import { fanout, forRange, memoryCurve, pipelined } from "../lib/workloads.js";
import type { benchRegistry } from "../servers/tenon.js";
import type { Caller, System } from "./types.js";

type Client = ReturnType<typeof createClient<typeof benchRegistry>>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Tenon on LMDB, strict durability (the default). */
export function tenonSystem(): System {
	let server: ServerProcess | undefined;
	let client: Client;
	let dataDir = "";
	let memoryUrl = "";
	const memory = async () =>
		(await (await fetch(memoryUrl)).json()) as { rss: number; heapUsed: number };

	return {
		name: "Tenon (lmdb)",
		durability: "fsync before reply",
		durabilityDetail:
			"the output gate holds every reply and event until the turn's writes are committed to LMDB and fsynced (strict durability, the default)",
		relaxedDurability: 'durability: "relaxed": saved within 1 s, after the reply',
		async start() {
			dataDir = mkdtempSync(join(tmpdir(), "tenon-bench-"));
			server = await startBundled(
				join(import.meta.dirname, "..", "servers", "tenon.ts"),
				{ TENON_DATA_DIR: dataDir, TENON_LOG_LEVEL: "error" },
				["--expose-gc"],
			);
			memoryUrl = /MEMORY (\S+)/.exec(server.output)?.[1] ?? "";
			client = createClient<typeof benchRegistry>({ endpoint: server.url, encoding: "cbor" });
		},
		async stop() {
			await client?.dispose();
			await server?.stop();
			rmSync(dataDir, { recursive: true, force: true });
		},
		async warmConnection(key): Promise<Caller> {
			const conn = client.counter.getOrCreate(key).connect();
			await conn.increment();
			return { call: () => conn.increment(), close: () => conn.dispose() };
		},
		async warmRelaxed(key): Promise<Caller> {
			const conn = client.relaxedCounter.getOrCreate(key).connect();
			await conn.increment();
			return { call: () => conn.increment(), close: () => conn.dispose() };
		},
		async httpAction(key): Promise<Caller> {
			const id = await client.counter.getOrCreate(key).resolve();
			const handle = client.counter.getForId(id);
			await handle.increment();
			return { call: () => handle.increment(), close: async () => {} };
		},
		async createAndCall(key) {
			await client.counter.getOrCreate(key).increment();
		},
		async sleep(keys) {
			for (const key of keys) {
				const handle = client.counter.getOrCreate(key);
				await handle.increment();
				await handle.sleepNow();
			}
			await sleep(200);
		},
		async wakeAndCall(key) {
			await client.counter.getOrCreate(key).increment();
		},
		async throughput({ actors, depth, seconds }) {
			const conns = Array.from({ length: actors }, (_, i) =>
				client.counter.getOrCreate(`tp-${i}`).connect(),
			);
			await Promise.all(conns.map((conn) => conn.increment()));
			const perSecond = await pipelined(
				conns.map((conn) => () => conn.increment()),
				depth,
				seconds,
			);
			await Promise.all(conns.map((conn) => conn.dispose()));
			return perSecond;
		},
		async memory(counts, budgetMs) {
			const base = await memory();
			const touch = (i: number) => client.idle.getOrCreate(`idle-${i}`).touch();
			const { perAwake, skipped } = await memoryCurve({
				counts,
				budgetMs,
				concurrency: 256,
				touch,
				measure: async () => (await memory()).rss,
			});
			// Then put them all to sleep: what is left on the heap is what a
			// sleeping actor costs.
			const woken = Math.max(0, ...perAwake.keys());
			await forRange(0, woken, 256, (i) => client.idle.getOrCreate(`idle-${i}`).sleepNow());
			await sleep(1_000);
			const after = await memory();
			return {
				perAwake,
				skipped,
				perSleeping: Math.max(0, after.heapUsed - base.heapUsed) / woken,
			};
		},
		async broadcast(connections, rounds) {
			const conns = Array.from({ length: connections }, () =>
				client.room.getOrCreate("fanout").connect(),
			);
			await Promise.all(conns.map((conn) => conn.noop()));
			const times = await fanout({
				subscribers: connections,
				rounds,
				onArrival: (arrived) => {
					for (const conn of conns) conn.on("tick", arrived);
				},
				subscribed: () => Promise.all(conns.map((conn) => conn.noop())),
				trigger: (at) => (conns[0] as (typeof conns)[number]).ping(at),
			});
			await Promise.all(conns.map((conn) => conn.dispose()));
			return times;
		},
	};
}
