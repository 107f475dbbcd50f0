// Row 1 split into its parts, in one run: where a warm durable action over a
// connection spends the time it takes beyond its durable floor. Against one
// Tenon server and the two ws floors, interleaved in blocks as head-to-head.ts:
//   client      Tenon's client calling the durable counter (row 1 itself)
//   replay      a bare `ws` socket sending the very frame Tenon's client sends,
//               to the same actor: row 1 without the client's own work
//   relaxed     the same replay to the relaxed counter: Tenon's server work
//               without the commit
//   floor+flush the ws echo making one 4 KiB write and fdatasync
//   floor       the bare ws echo
// client - replay is the client's share; relaxed - floor the server's own work;
// (replay - relaxed) - (floor+flush - floor) what Tenon's commit costs beyond
// the floor's flush. Each server's main-thread CPU per call (schedstat) too.
//   npx tsx --conditions=tenon-source bench/warm-split.ts [rounds]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "tenon/client";
import { WebSocket } from "ws";
import { pinForLatency, unpin } from "./lib/affinity.js";
import { type ServerProcess, startBundled } from "./lib/process.js";
import type { benchRegistry } from "./servers/tenon.js";

const rounds = Number(process.argv[2] ?? 20);
const BLOCK = 100;
const WARMUP_CALLS = 5_000;
const servers = join(import.meta.dirname, "servers");

interface Caller {
	call(): Promise<unknown>;
}
interface Contender {
	name: string;
	caller: Caller;
	pid: number;
	all: number[];
	cpu: number[];
}

/** CPU time (ns) a process's threads used so far, from each thread's schedstat. */
function cpuNs(pid: number): number {
	let total = 0;
	for (const tid of readdirSync(`/proc/${pid}/task`)) {
		const stat = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8");
		total += Number(stat.split(" ")[0]);
	}
	return total;
}

/** Records what a Tenon client's WebSocket is given, to replay it on a bare socket. */
function recordingWebSocket(record: {
	url?: string;
	protocols?: string | string[];
	frames: unknown[];
}) {
	return class extends WebSocket {
		constructor(url: string, protocols?: string | string[]) {
			super(url, protocols, { perMessageDeflate: false });
			record.url = url;
			record.protocols = protocols;
		}
		override send(data: unknown, ...rest: unknown[]): void {
			record.frames.push(data);
			(super.send as (...args: unknown[]) => void)(data, ...rest);
		}
	};
}

/** A bare socket replaying a recorded action frame; one reply per frame. */
async function replay(url: string, protocols: string | string[] | undefined, frame: unknown) {
	const socket = new WebSocket(url, protocols, { perMessageDeflate: false });
	await new Promise((resolve, reject) => {
		socket.once("open", resolve);
		socket.once("error", reject);
	});
	let waiting: (() => void) | undefined;
	let skip = 1; // the connection's Init comes first
	socket.on("message", () => {
		if (skip > 0) {
			skip--;
			return;
		}
		waiting?.();
	});
	return {
		call: () =>
			new Promise<void>((resolve) => {
				waiting = resolve;
				socket.send(frame as Buffer);
			}),
		close: () => socket.close(),
	};
}

async function rawEcho(url: string) {
	const socket = new WebSocket(url, { perMessageDeflate: false });
	await new Promise((resolve, reject) => {
		socket.once("open", resolve);
		socket.once("error", reject);
	});
	let waiting: (() => void) | undefined;
	socket.on("message", () => waiting?.());
	return {
		call: () =>
			new Promise<void>((resolve) => {
				waiting = resolve;
				socket.send("inc");
			}),
		close: () => socket.close(),
	};
}

const median = (values: readonly number[]) =>
	[...values].sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN;

const dir = mkdtempSync(join(tmpdir(), "tenon-warm-split-"));
const started: ServerProcess[] = [];
const closers: (() => unknown)[] = [];
try {
	const tenon = await startBundled(join(servers, "tenon.ts"), {
		TENON_DATA_DIR: join(dir, "tenon"),
		TENON_LOG_LEVEL: "error",
	});
	started.push(tenon);
	const floor = await startBundled(join(servers, "floor-ws.ts"));
	started.push(floor);
	const floorFlush = await startBundled(join(servers, "floor-ws.ts"), {
		FLOOR_SYNC_FILE: join(dir, "ws.log"),
	});
	started.push(floorFlush);

	const record: { url?: string; protocols?: string | string[]; frames: unknown[] } = { frames: [] };
	const client = createClient<typeof benchRegistry>({
		messageRate: false,
		endpoint: tenon.url,
		encoding: "cbor",
		WebSocket: recordingWebSocket(record) as never,
	});
	closers.push(() => client.dispose());
	const conn = client.counter.getOrCreate("split").connect();
	await conn.increment();
	const frame = record.frames.at(-1);
	const relaxedRecord: typeof record = { frames: [] };
	const relaxedClient = createClient<typeof benchRegistry>({
		messageRate: false,
		endpoint: tenon.url,
		encoding: "cbor",
		WebSocket: recordingWebSocket(relaxedRecord) as never,
	});
	closers.push(() => relaxedClient.dispose());
	const relaxedConn = relaxedClient.relaxedCounter.getOrCreate("split").connect();
	await relaxedConn.increment();

	const durableReplay = await replay(record.url as string, record.protocols, frame);
	const relaxedReplay = await replay(
		relaxedRecord.url as string,
		relaxedRecord.protocols,
		relaxedRecord.frames.at(-1),
	);
	const bare = await rawEcho(floor.url);
	const flushed = await rawEcho(floorFlush.url);
	const relaxedByClient = { call: () => relaxedConn.increment() };
	closers.push(durableReplay.close, relaxedReplay.close, bare.close, flushed.close);

	const contenders: Contender[] = [
		{
			name: "client (row 1)",
			caller: { call: () => conn.increment() },
			pid: tenon.child.pid as number,
			all: [],
			cpu: [],
		},
		{
			name: "replay (no client)",
			caller: durableReplay,
			pid: tenon.child.pid as number,
			all: [],
			cpu: [],
		},
		{
			name: "relaxed, client",
			caller: relaxedByClient,
			pid: tenon.child.pid as number,
			all: [],
			cpu: [],
		},
		{
			name: "relaxed, replay",
			caller: relaxedReplay,
			pid: tenon.child.pid as number,
			all: [],
			cpu: [],
		},
		{
			name: "floor + flush",
			caller: flushed,
			pid: floorFlush.child.pid as number,
			all: [],
			cpu: [],
		},
		{ name: "floor", caller: bare, pid: floor.child.pid as number, all: [], cpu: [] },
	];
	pinForLatency();
	for (const contender of contenders)
		for (let i = 0; i < WARMUP_CALLS; i++) await contender.caller.call();
	for (let round = 0; round < rounds; round++) {
		const order = round % 2 === 0 ? contenders : [...contenders].reverse();
		for (const contender of order) {
			const cpuBefore = cpuNs(contender.pid);
			for (let i = 0; i < BLOCK; i++) {
				const at = performance.now();
				await contender.caller.call();
				contender.all.push(performance.now() - at);
			}
			contender.cpu.push((cpuNs(contender.pid) - cpuBefore) / BLOCK / 1000);
		}
	}
	unpin();
	console.log(
		`row 1 split, ${rounds} rounds of ${BLOCK} calls (median µs; server CPU µs per call):`,
	);
	for (const contender of contenders)
		console.log(
			`  ${contender.name.padEnd(22)} ${(median(contender.all) * 1000).toFixed(0).padStart(5)} µs   server CPU ${median(contender.cpu).toFixed(1).padStart(6)} µs`,
		);
	const m = (i: number) => median((contenders[i] as Contender).all) * 1000;
	console.log(
		`  client's share ${(m(0) - m(1)).toFixed(0)} µs; server work over the echo ${(m(3) - m(5)).toFixed(0)} µs; commit over the floor's flush ${(m(1) - m(3) - (m(4) - m(5))).toFixed(0)} µs`,
	);
} finally {
	unpin();
	for (const close of closers) await close();
	for (const server of started) await server.stop();
	rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
