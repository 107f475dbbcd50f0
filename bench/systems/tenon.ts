import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "tenon/client";
import { spreadFanout } from "../lib/fanout.js";
import { captureRequest, RequestReplay } from "../lib/http-replay.js";
import { type ServerProcess, startBundled } from "../lib/process.js";
import { forRange, memoryCurve, pipelined } from "../lib/workloads.js";
import type { benchRegistry } from "../servers/tenon.js";
import type { Caller, System, TracingMode } from "./types.js";

type Client = ReturnType<typeof createClient<typeof benchRegistry>>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Requests in flight while waking idle actors (more only adds buffers to the RSS being measured). */
const WAKE_CONCURRENCY = 64;

/** What the probe's `/memory-detail` says of the server's memory (after a GC), in bytes. */
interface HeapDetail {
	rss: number;
	heapUsed: number;
	/** V8's old space: bytes in use, and bytes resident (pages it keeps). */
	oldUsed: number;
	oldResident: number;
}

async function heapDetail(probe: string): Promise<HeapDetail> {
	const detail = (await (await fetch(`${probe}/memory-detail`)).json()) as {
		usage: { rss: number; heapUsed: number };
		spaces: { name: string; used: number; physical: number }[];
	};
	const old = detail.spaces.find((space) => space.name === "old_space");
	return {
		rss: detail.usage.rss,
		heapUsed: detail.usage.heapUsed,
		oldUsed: old?.used ?? 0,
		oldResident: old?.physical ?? 0,
	};
}

/**
 * Row 6's note per count: the JS heap in use per actor against V8's old space
 * resident per actor. Runs of the same code have read 4.3 and 8.8 KiB: when
 * the old space keeps about twice what it uses, the slack is V8's after the
 * wake-up burst, not the actors'.
 */
function heapNotes(perAwake: Map<number, number>, details: readonly HeapDetail[]) {
	const notes = new Map<number, string>();
	const base = details[0];
	if (base === undefined) return notes;
	const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;
	[...perAwake.keys()].forEach((count, i) => {
		const at = details[i + 1];
		if (at === undefined) return;
		notes.set(
			count,
			`per actor: JS heap used ${kib((at.heapUsed - base.heapUsed) / count)}, V8 old space used ${kib((at.oldUsed - base.oldUsed) / count)} and resident ${kib((at.oldResident - base.oldResident) / count)}`,
		);
	});
	return notes;
}

/** A bench server of its own with OpenTelemetry `mode` registered from the start (row 1c). */
export async function startTraced(
	mode: TracingMode,
	withoutLog = false,
): Promise<{ client: Client; probe: string; stop(): Promise<void> }> {
	const dataDir = mkdtempSync(join(tmpdir(), "tenon-bench-traced-"));
	const server = await startBundled(join(import.meta.dirname, "..", "servers", "tenon.ts"), {
		TENON_DATA_DIR: dataDir,
		TENON_LOG_LEVEL: "error",
		...(withoutLog ? { TENON_BENCH_COMMIT_LOG: "off" } : {}),
	});
	const stop = async () => {
		await client.dispose();
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	};
	const client = createClient<typeof benchRegistry>({
		messageRate: false,
		endpoint: server.url,
		encoding: "cbor",
	});
	const probe = /MEMORY (\S+)/.exec(server.output)?.[1] ?? "";
	try {
		const response = await fetch(`${probe}/tracing/${mode}`, { method: "POST" });
		if (!response.ok) throw new Error(`the probe cannot set tracing (HTTP ${response.status})`);
	} catch (error) {
		await stop();
		throw error;
	}
	return { client, probe, stop };
}

/**
 * Tenon on LMDB, strict durability (the default). `commitLog: false` runs
 * the LMDB driver without its commit log (a synced LMDB transaction per
 * commit), to compare both in one run.
 */
export function tenonSystem(options: { commitLog?: boolean } = {}): System {
	const withoutLog = options.commitLog === false;
	let server: ServerProcess | undefined;
	let client: Client;
	let dataDir = "";
	let memoryUrl = "";
	const memory = async () =>
		(await (await fetch(memoryUrl)).json()) as { rss: number; heapUsed: number };

	return {
		name: withoutLog ? "Tenon (lmdb, no commit log)" : "Tenon (lmdb)",
		durability: "fsync before reply",
		durabilityDetail:
			"the output gate holds every reply and event until the turn's writes are committed to LMDB and fsynced (strict durability, the default)",
		relaxedDurability: 'durability: "relaxed": saved within 1 s, after the reply',
		async start() {
			dataDir = mkdtempSync(join(tmpdir(), "tenon-bench-"));
			server = await startBundled(
				join(import.meta.dirname, "..", "servers", "tenon.ts"),
				{
					TENON_DATA_DIR: dataDir,
					TENON_LOG_LEVEL: "error",
					...(withoutLog ? { TENON_BENCH_COMMIT_LOG: "off" } : {}),
				},
				["--expose-gc"],
			);
			memoryUrl = /MEMORY (\S+)/.exec(server.output)?.[1] ?? "";
			client = createClient<typeof benchRegistry>({
				messageRate: false,
				endpoint: server.url,
				encoding: "cbor",
			});
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
		async tracedConnection(mode): Promise<Caller> {
			const traced = await startTraced(mode, withoutLog);
			const conn = traced.client.counter.getOrCreate("traced").connect();
			try {
				await conn.increment();
			} catch (error) {
				await traced.stop();
				throw error;
			}
			return {
				call: () => conn.increment(),
				// The spans the server holds for its batch are recorded before the block's clock stops.
				settle: async () => {
					const response = await fetch(`${traced.probe}/flush-spans`, { method: "POST" });
					await response.text();
				},
				close: async () => {
					await conn.dispose();
					await traced.stop();
				},
			};
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
		async httpRelaxed(key): Promise<Caller> {
			const id = await client.relaxedCounter.getOrCreate(key).resolve();
			const handle = client.relaxedCounter.getForId(id);
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
		async throughput({ actors, depth, seconds, signal }) {
			const conns = Array.from({ length: actors }, (_, i) =>
				client.counter.getOrCreate(`tp-${i}`).connect(),
			);
			await Promise.all(conns.map((conn) => conn.increment()));
			try {
				return await pipelined(
					conns.map((conn) => () => conn.increment()),
					depth,
					seconds,
					signal,
				);
			} finally {
				await Promise.all(conns.map((conn) => conn.dispose()));
			}
		},
		async memory({ counts, budgetMs, signal, report }) {
			// The request Tenon's client sends for `touch` and `sleepNow` on an idle
			// actor, replayed for each key over keep-alive sockets (see http-replay.ts).
			const endpoint = (server as ServerProcess).url;
			const replay = async (call: (client: Client) => Promise<unknown>) =>
				new RequestReplay(
					await captureRequest((fetch) =>
						call(
							createClient<typeof benchRegistry>({
								messageRate: false,
								endpoint,
								encoding: "cbor",
								fetch,
							}),
						),
					),
					WAKE_CONCURRENCY,
				);
			const touch = await replay((client) => client.idle.getOrCreate("idle-0").touch());
			const sleepNow = await replay((client) => client.idle.getOrCreate("idle-0").sleepNow());
			const key = (i: number) => ({ "rvt-key": `idle-${i}` });
			try {
				const base = await memory();
				// Each measurement (the curve's base, then one per count woken) with V8's view.
				const details: HeapDetail[] = [];
				const { perAwake, skipped } = await memoryCurve({
					counts,
					budgetMs,
					concurrency: WAKE_CONCURRENCY,
					touch: (i) => touch.send(key(i)),
					measure: async () => {
						const detail = await heapDetail(memoryUrl);
						details.push(detail);
						return detail.rss;
					},
					signal,
					report,
				});
				const woken = Math.max(0, ...perAwake.keys());
				const notes = heapNotes(perAwake, details);
				const curveBase = details[0];
				// The row reads RSS half a second after the wake-ups; a server that holds
				// its actors idle for longer gives V8 time to hand back what the burst left
				// (its memory reducer). Noted for the largest count of a full run.
				if (woken >= 10_000 && curveBase !== undefined) {
					report(`${woken.toLocaleString("en")} actors awake: 15 s idle`);
					await sleep(15_000);
					const settled = await heapDetail(memoryUrl);
					const kib = (bytes: number) => `${(bytes / 1024 / woken).toFixed(2)} KiB`;
					notes.set(
						woken,
						`${notes.get(woken) ?? ""}; after 15 s idle: RSS ${kib(settled.rss - curveBase.rss)}, V8 old space resident ${kib(settled.oldResident - curveBase.oldResident)}`,
					);
				}
				// Then put them all to sleep: what is left on the heap is what a
				// sleeping actor costs.
				let asleep = 0;
				const ticker = setInterval(
					() =>
						report(
							`${asleep.toLocaleString("en")} of ${woken.toLocaleString("en")} actors put to sleep`,
						),
					1_000,
				);
				try {
					await forRange(
						0,
						woken,
						WAKE_CONCURRENCY,
						async (i) => {
							await sleepNow.send(key(i));
							asleep++;
						},
						signal,
					);
				} finally {
					clearInterval(ticker);
				}
				await sleep(1_000);
				const after = await memory();
				return {
					perAwake,
					skipped,
					perSleeping: Math.max(0, after.heapUsed - base.heapUsed) / woken,
					notes,
				};
			} finally {
				touch.close();
				sleepNow.close();
			}
		},
		async sharedStateFanout({ connections, processes, rounds, signal }) {
			const trigger = client.sharedBoard.getOrCreate("fanout").connect();
			await trigger.noop();
			try {
				return await spreadFanout({
					receivers: {
						kind: "actor",
						client: "tenon",
						endpoint: (server as ServerProcess).url,
						actor: "sharedBoard",
						key: "fanout",
						openConcurrency: 64,
						via: "sharedState",
					},
					connections,
					processes,
					rounds,
					signal,
					trigger: (round) => trigger.setTick(round),
				});
			} finally {
				await trigger.dispose();
			}
		},
		async broadcast({ connections, processes, rounds, signal }) {
			// The trigger has a connection of its own, not subscribed: the
			// receivers are the `connections`, in their own processes.
			const trigger = client.room.getOrCreate("fanout").connect();
			await trigger.noop();
			try {
				return await spreadFanout({
					receivers: {
						kind: "actor",
						client: "tenon",
						endpoint: (server as ServerProcess).url,
						actor: "room",
						key: "fanout",
						openConcurrency: 64,
					},
					connections,
					processes,
					rounds,
					signal,
					probe: memoryUrl,
					trigger: (round) => trigger.ping(round),
				});
			} finally {
				await trigger.dispose();
			}
		},
	};
}
