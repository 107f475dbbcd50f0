import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "tenon/client";
import { type ServerProcess, startBundled } from "../lib/process.js";
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
		durability: "LMDB fsync before the reply (output gate)",
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
			let done = 0;
			const until = performance.now() + seconds * 1000;
			await Promise.all(
				conns.flatMap((conn) =>
					Array.from({ length: depth }, async () => {
						while (performance.now() < until) {
							await conn.increment();
							done++;
						}
					}),
				),
			);
			await Promise.all(conns.map((conn) => conn.dispose()));
			return done / seconds;
		},
		async memory(counts) {
			const perAwake = new Map<number, number>();
			let woken = 0;
			const base = await memory();
			const wake = async (from: number, to: number) => {
				const batch = 256;
				for (let i = from; i < to; i += batch) {
					await Promise.all(
						Array.from({ length: Math.min(batch, to - i) }, (_, j) =>
							client.idle.getOrCreate(`idle-${i + j}`).touch(),
						),
					);
				}
			};
			for (const count of counts) {
				await wake(woken, count);
				woken = count;
				await sleep(500);
				const now = await memory();
				perAwake.set(count, (now.rss - base.rss) / count);
			}
			return { perAwake };
		},
		async broadcast(connections, rounds) {
			const received: number[] = [];
			let pending = 0;
			let resolveRound: (() => void) | undefined;
			const conns = Array.from({ length: connections }, () =>
				client.room.getOrCreate("fanout").connect(),
			);
			for (const conn of conns) {
				conn.on("tick", () => {
					pending--;
					if (pending === 0) resolveRound?.();
				});
			}
			await Promise.all(conns.map((conn) => conn.noop()));
			for (let round = 0; round < rounds; round++) {
				pending = connections;
				const all = new Promise<void>((resolve) => {
					resolveRound = resolve;
				});
				const started = performance.now();
				await (conns[0] as (typeof conns)[number]).ping(started);
				await all;
				received.push(performance.now() - started);
			}
			await Promise.all(conns.map((conn) => conn.dispose()));
			return received;
		},
	};
}
