// Connections that outlive their actor's sleep, Tenon next to Durable Objects'
// WebSocket Hibernation API (workerd), in the same run:
//   H1. server memory per open idle connection while its actor sleeps;
//   H2. a message on a hibernated connection: wake + answer, next to the
//       same call on an awake actor (the awake path).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { openFileLimit } from "../../packages/tenon/src/common/fd-limit.js";
import { pinForLatency, unpin } from "../lib/affinity.js";
import { ensurePeers, startPeer } from "../lib/peers.js";
import { type ServerProcess, startBundled } from "../lib/process.js";
import { progress } from "../lib/progress.js";
import type { BenchRow } from "../lib/report.js";
import { summarize, time } from "../lib/stats.js";

const TOKEN = "bench-inspector-token";
/** Tenon's lobby sleeps after this much idle time (ms). */
const TENON_SLEEP_MS = 300;
/** workerd evicts an object whose only activity is hibernated sockets after ~10 s. */
const WORKERD_IDLE_MS = 11_000;

interface Plan {
	connections: number;
	actors: number;
	wakeRounds: number;
	wakeSockets: number;
}

const QUICK: Plan = { connections: 1_000, actors: 100, wakeRounds: 2, wakeSockets: 10 };
const FULL: Plan = { connections: 10_000, actors: 1_000, wakeRounds: 3, wakeSockets: 20 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A socket that answers "<id> <value>" to "<id>" (the workerd lobby) or Tenon's protocol (JSON). */
interface Pipe {
	request(): Promise<string>;
	close(): void;
}

/** A Tenon connection over a bare socket (JSON): Init first, then `hello` calls by id. */
export async function tenonPipe(base: string, key: string): Promise<Pipe> {
	const url = `${base.replace(/^http/, "ws")}/gateway/lobby/connect?rvt-method=getOrCreate&rvt-key=${key}`;
	const socket = new WebSocket(url, ["rivet", "rivet_encoding.json"], { perMessageDeflate: false });
	const waiting = new Map<number, (value: string) => void>();
	let next = 1;
	// Listening before the socket opens: Init may arrive in the same read as the upgrade.
	await new Promise<void>((resolve, reject) => {
		socket.on("message", (data) => {
			const body = JSON.parse(data.toString()).body;
			if (body.tag === "Init") resolve();
			else if (body.tag === "ActionResponse") {
				waiting.get(body.val.id)?.(String(body.val.output));
				waiting.delete(body.val.id);
			} else reject(new Error(`tenon: ${body.val.group}/${body.val.code}`));
		});
		socket.once("error", reject);
		socket.once("unexpected-response", (_req, res) =>
			reject(new Error(`${url}: HTTP ${res.statusCode}`)),
		);
	});
	return {
		request() {
			const id = next++;
			return new Promise((resolve) => {
				waiting.set(id, resolve);
				socket.send(
					JSON.stringify({ body: { tag: "ActionRequest", val: { id, name: "hello", args: [] } } }),
				);
			});
		},
		close: () => socket.close(),
	};
}

/** A Durable Object socket on the Hibernation API: "<id>" in, "<id> <wake>" out. */
async function workerdPipe(base: string, key: string): Promise<Pipe> {
	const socket = new WebSocket(`${base.replace(/^http/, "ws")}/lobby/${key}/ws`, {
		perMessageDeflate: false,
	});
	const waiting = new Map<string, (value: string) => void>();
	let next = 0;
	const opened = new Promise<void>((resolve, reject) => {
		socket.once("open", () => resolve());
		socket.once("error", reject);
		socket.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
	});
	socket.on("message", (data) => {
		const text = data.toString();
		const space = text.indexOf(" ");
		waiting.get(text.slice(0, space))?.(text.slice(space + 1));
		waiting.delete(text.slice(0, space));
	});
	await opened;
	return {
		request() {
			const id = String(next++);
			return new Promise((resolve) => {
				waiting.set(id, resolve);
				socket.send(id);
			});
		},
		close: () => socket.close(),
	};
}

/** Opens `count` pipes over `actors` keys, a few dozen at a time. */
export async function openMany(
	count: number,
	actors: number,
	make: (key: string) => Promise<Pipe>,
): Promise<Pipe[]> {
	const pipes: Pipe[] = [];
	for (let start = 0; start < count; start += 64) {
		const batch = Array.from({ length: Math.min(64, count - start) }, (_, i) =>
			make(`h-${(start + i) % actors}`),
		);
		pipes.push(...(await Promise.all(batch)));
	}
	return pipes;
}

interface Target {
	name: string;
	durability: string;
	server: ServerProcess;
	pipe(key: string): Promise<Pipe>;
	/** Waits until the actors behind `count` sockets sleep (their sockets hibernate). */
	settle(count: number): Promise<void>;
	/** Idle time after which an actor with only open connections sleeps. */
	idleMs: number;
	note: string;
	/** The JS heap in use after a GC, where the system can tell (Tenon). */
	heapUsed?(): Promise<number>;
}

/** H2: sequential calls on awake actors, then one message per socket after the actor slept. */
async function wakeRows(
	target: Target,
	plan: Plan,
): Promise<{ awake: number[]; wake: number[]; missed: number }> {
	const pipes = await Promise.all(
		Array.from({ length: plan.wakeSockets }, (_, i) => target.pipe(`wake-${i}`)),
	);
	const awake: number[] = [];
	const wake: number[] = [];
	let missed = 0;
	const wakes = await Promise.all(pipes.map((pipe) => pipe.request()));
	for (let i = 0; i < 200; i++)
		awake.push(await time(() => (pipes[i % pipes.length] as Pipe).request()));
	for (let round = 0; round < plan.wakeRounds; round++) {
		await sleep(target.idleMs);
		for (let i = 0; i < pipes.length; i++) {
			let answer = "";
			const ms = await time(async () => {
				answer = await (pipes[i] as Pipe).request();
			});
			// Counted only when the message really woke the actor (a new wake id).
			if (answer !== wakes[i]) wake.push(ms);
			else missed++;
			wakes[i] = answer;
		}
	}
	for (const pipe of pipes) pipe.close();
	return { awake, wake, missed };
}

async function measure(target: Target, plan: Plan): Promise<BenchRow[]> {
	const rows: BenchRow[] = [];
	const base = { suite: "hibernation", system: target.name, durability: target.durability };
	progress(`hibernation › ${target.name}`);
	// The actors exist and sleep before the baseline, so only connections are counted.
	const warm = await openMany(plan.actors, plan.actors, (key) => target.pipe(key));
	await Promise.all(warm.map((pipe) => pipe.request()));
	for (const pipe of warm) pipe.close();
	await sleep(target.idleMs + 500);
	const heapBefore = await target.heapUsed?.();
	const before = target.server.rss();
	progress(
		`hibernation › ${target.name} › H1. ${plan.connections} connections over ${plan.actors} actors`,
	);
	const pipes = await openMany(plan.connections, plan.actors, (key) => target.pipe(key));
	await target.settle(plan.connections);
	const after = target.server.rss();
	const heapAfter = await target.heapUsed?.();
	for (const pipe of pipes) pipe.close();
	const perConnection = (after - before) / plan.connections;
	rows.push({
		...base,
		workload: `H1. memory per open idle connection, actor asleep (${plan.connections.toLocaleString("en")} over ${plan.actors.toLocaleString("en")} actors)`,
		summary: summarize([perConnection]),
		bytes: perConnection,
		note: target.note,
		...(target.name.startsWith("Tenon") ? { target: { median: 2_048, text: "<= 2 KB" } } : {}),
	});
	if (heapBefore !== undefined && heapAfter !== undefined) {
		const heap = (heapAfter - heapBefore) / plan.connections;
		rows.push({
			...base,
			workload: "H1b. JS heap per open idle connection, actor asleep (after a GC)",
			summary: summarize([heap]),
			bytes: heap,
			note: "what the server keeps per hibernated connection: its socket (ws, net) and Tenon's records of it",
		});
	}
	progress(`hibernation › ${target.name} › H2. wake on message`);
	// One message in flight, as rows 1 to 4: the runner and the server on cores of their own.
	pinForLatency();
	let measured: Awaited<ReturnType<typeof wakeRows>>;
	try {
		measured = await wakeRows(target, plan);
	} finally {
		unpin();
	}
	const { awake, wake, missed } = measured;
	rows.push({
		...base,
		workload: "H2a. message on a connection, actor awake (the awake path)",
		summary: summarize(awake),
	});
	if (wake.length === 0) {
		rows.push({
			...base,
			workload: "H2b. message on a hibernated connection: wake + answer",
			summary: summarize([]),
			unsupported: `the actor did not sleep within ${target.idleMs} ms (${missed} messages found it awake)`,
		});
	} else {
		const awakeMedian = summarize(awake).median;
		rows.push({
			...base,
			workload: "H2b. message on a hibernated connection: wake + answer",
			summary: summarize(wake),
			note: `${(summarize(wake).median - awakeMedian).toFixed(2)} ms over the awake path${missed ? `; ${missed} found it awake, not counted` : ""}`,
			...(target.name.startsWith("Tenon")
				? { target: { median: awakeMedian + 1, text: "<= awake + 1 ms" } }
				: {}),
		});
	}
	return rows;
}

async function tenonTarget(plan: Plan): Promise<{ target: Target; cleanup(): void }> {
	const dataDir = mkdtempSync(join(tmpdir(), "tenon-bench-hibernation-"));
	const server = await startBundled(
		join(import.meta.dirname, "..", "servers", "tenon.ts"),
		{
			TENON_DATA_DIR: dataDir,
			TENON_LOG_LEVEL: "error",
			TENON_BENCH_LOBBY_SLEEP_MS: String(TENON_SLEEP_MS),
		},
		["--expose-gc"],
	);
	const memoryUrl = /MEMORY (\S+)/.exec(server.output)?.[1] ?? "";
	return {
		target: {
			name: "Tenon (lmdb)",
			durability: "fsync before reply",
			server,
			pipe: (key) => tenonPipe(server.url, key),
			idleMs: TENON_SLEEP_MS,
			note: `RSS of the server process after a GC; actors sleep after ${TENON_SLEEP_MS} ms idle`,
			heapUsed: async () =>
				((await (await fetch(memoryUrl)).json()) as { heapUsed: number }).heapUsed,
			async settle(count) {
				const deadline = Date.now() + 60_000 + plan.connections;
				for (;;) {
					const stats = (await (
						await fetch(`${server.url}/inspector/sockets`, {
							headers: { authorization: `Bearer ${TOKEN}` },
						})
					).json()) as { hibernated: number };
					if (stats.hibernated >= count) break;
					if (Date.now() > deadline)
						throw new Error(`only ${stats.hibernated} of ${count} hibernated`);
					await sleep(100);
				}
				await fetch(memoryUrl); // runs a GC
			},
		},
		cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
	};
}

async function workerdTarget(): Promise<Target> {
	const server = await startPeer("workerd.mjs", (dir) => ({ TENON_BENCH_DATA_DIR: dir }));
	return {
		name: "Durable Objects (workerd)",
		durability: "fsync before reply",
		server,
		pipe: (key) => workerdPipe(server.url, key),
		idleMs: WORKERD_IDLE_MS,
		note: "RSS of workerd + Miniflare's Node host; WebSocket Hibernation API (acceptWebSocket)",
		settle: async () => {
			await sleep(WORKERD_IDLE_MS);
		},
	};
}

/** The floor: a bare `ws` server (no work, nothing stored) holding the same number of idle sockets. */
async function floorRow(plan: Plan): Promise<BenchRow> {
	const server = await startBundled(join(import.meta.dirname, "..", "servers", "floor-ws.ts"));
	try {
		const before = server.rss();
		const sockets: WebSocket[] = [];
		for (let start = 0; start < plan.connections; start += 64) {
			const batch = Array.from({ length: Math.min(64, plan.connections - start) }, () => {
				const socket = new WebSocket(server.url, { perMessageDeflate: false });
				return new Promise<WebSocket>((resolve, reject) => {
					socket.once("open", () => resolve(socket));
					socket.once("error", reject);
				});
			});
			sockets.push(...(await Promise.all(batch)));
		}
		await sleep(1_000);
		const perConnection = (server.rss() - before) / plan.connections;
		for (const socket of sockets) socket.close();
		return {
			suite: "hibernation",
			workload: `H1. memory per open idle connection, actor asleep (${plan.connections.toLocaleString("en")} over ${plan.actors.toLocaleString("en")} actors)`,
			system: "floor: bare ws server",
			durability: "nothing stored",
			summary: summarize([perConnection]),
			bytes: perConnection,
			note: "RSS of a bare `ws` server holding the same idle sockets: the least a Node WebSocket costs",
		};
	} finally {
		await server.stop();
	}
}

export async function hibernationSuite(options: {
	quick: boolean;
	systems?: string[];
}): Promise<BenchRow[]> {
	const plan = options.quick ? QUICK : FULL;
	// Each side holds every socket; the hard limit on open files caps the count here.
	const files = openFileLimit() ?? Number.POSITIVE_INFINITY;
	if (plan.connections + 1_000 > files)
		plan.connections = Math.max(1_000, Math.floor((files - 1_000) / 1_000) * 1_000);
	const rows: BenchRow[] = [];
	const wanted = (name: string) => options.systems === undefined || options.systems.includes(name);
	if (wanted("tenon")) {
		const { target, cleanup } = await tenonTarget(plan);
		try {
			rows.push(...(await measure(target, plan)));
		} finally {
			await target.server.stop();
			cleanup();
		}
	}
	if (wanted("floor")) rows.push(await floorRow(plan));
	if (!options.quick && wanted("workerd")) {
		const missing = ensurePeers();
		if (missing !== undefined) {
			rows.push({
				suite: "hibernation",
				workload: "all",
				system: "Durable Objects (workerd)",
				durability: "fsync before reply",
				summary: summarize([]),
				unsupported: missing,
			});
		} else {
			const target = await workerdTarget();
			try {
				rows.push(...(await measure(target, plan)));
			} finally {
				await target.server.stop();
			}
		}
	}
	return rows;
}
