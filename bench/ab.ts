// Before and after, in one run: Tenon's bench server built from a git ref
// (A) and from the working tree (B), driven by the working tree's client,
// row 1's call (or 1b's, row 2's or 2b's) in blocks that alternate between them;
// or row 5's pipelined load on 1,000 actors (`throughput`, a second per block).
//   npx tsx --conditions=tenon-source bench/ab.ts <ref> [blocks] [warm|relaxed|http|http-relaxed|throughput]
// Pinned as the latency rows are (the runner on its first CPU, both servers
// on the others; `throughput` is not pinned, as row 5 is not). Each side is started twice, once first and once second:
// the server started second read a few percent slower in runs of identical
// code (2026-11-24), so the ratio is the geometric mean of both orders. It
// prints each side's median wall time and server CPU per call (the time
// the server's threads ran, /proc schedstat), and B / A for both.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "tenon/client";
import { parseCpuList } from "./lib/affinity.js";
import { type ServerProcess, sessionPids } from "./lib/process.js";
import { pipelined } from "./lib/workloads.js";
import type { benchRegistry } from "./servers/tenon.js";

const [ref, blocksArg, rowArg] = process.argv.slice(2);
if (ref === undefined)
	throw new Error(
		"usage: bench/ab.ts <git ref> [blocks] [warm|relaxed|http|http-relaxed|throughput]",
	);
const blocks = Number(blocksArg ?? 30);
const ROWS = ["warm", "relaxed", "http", "http-relaxed", "throughput"] as const;
const row: (typeof ROWS)[number] = ROWS.find((name) => name === rowArg) ?? "warm";
const pinned = row !== "throughput";
/** Row 5's shape: actors with one connection each, calls in flight per connection. */
const THROUGHPUT_ACTORS = 1_000;
const THROUGHPUT_DEPTH = 8;
const BLOCK = 100;
const root = join(import.meta.dirname, "..");

/** A worktree of `ref` whose node_modules are the working tree's, but for Tenon itself. */
function checkout(commit: string): string {
	const dir = mkdtempSync(join(tmpdir(), "tenon-ab-"));
	execFileSync("git", ["-C", root, "worktree", "add", "--detach", dir, commit], {
		stdio: "ignore",
	});
	mkdirSync(join(dir, "node_modules", ".cache"), { recursive: true });
	for (const entry of readdirSync(join(root, "node_modules"))) {
		if (entry === "tenon" || entry === ".cache") continue;
		symlinkSync(join(root, "node_modules", entry), join(dir, "node_modules", entry));
	}
	symlinkSync(join(dir, "packages", "tenon"), join(dir, "node_modules", "tenon"));
	return dir;
}

const cpus = parseCpuList(
	/Cpus_allowed_list:\s*(\S+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? "0",
);
const pin = (pid: number, list: string) =>
	execFileSync("taskset", ["-a", "-p", "-c", list, String(pid)], { stdio: "ignore" });

/**
 * CPU time of a server's processes so far (ms): the time each of their
 * threads ran, from `/proc/<pid>/task/<tid>/schedstat` (nanoseconds). The
 * user + system ticks of `/proc/<pid>/stat` count in 10 ms, a tenth of a
 * block of 100 calls: a block's figure was mostly rounding.
 */
function cpuOf(server: ServerProcess): number {
	let ns = 0;
	for (const pid of sessionPids(server.child.pid as number)) {
		try {
			for (const tid of readdirSync(`/proc/${pid}/task`))
				ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
		} catch {
			// Gone meanwhile.
		}
	}
	return ns / 1e6;
}

interface Side {
	label: "A" | "B";
	server: ServerProcess;
	/** One block: how many calls it made and its wall time per call (ms). */
	block: () => Promise<{ calls: number; wall: number }>;
	wall: number[];
	cpu: number[];
	close: () => Promise<void>;
}

const median = (values: readonly number[]) =>
	[...values].sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN;

async function startSide(label: "A" | "B", tree: string): Promise<Side> {
	// Each tree bundles its own sources with its own harness (process.ts).
	const { startBundled } = (await import(join(tree, "bench", "lib", "process.ts"))) as {
		startBundled: (entry: string, env: Record<string, string>) => Promise<ServerProcess>;
	};
	const dataDir = mkdtempSync(join(tmpdir(), `tenon-ab-${label}-`));
	const server = await startBundled(join(tree, "bench", "servers", "tenon.ts"), {
		TENON_DATA_DIR: dataDir,
		TENON_LOG_LEVEL: "error",
	});
	if (pinned && cpus.length >= 2)
		for (const pid of sessionPids(server.child.pid as number)) pin(pid, cpus.slice(1).join(","));
	const client = createClient<typeof benchRegistry>({
		messageRate: false,
		endpoint: server.url,
		encoding: "cbor",
	});
	let call: () => Promise<unknown>;
	let dispose = async () => {};
	let block = async () => {
		const times: number[] = [];
		for (let i = 0; i < BLOCK; i++) {
			const started = performance.now();
			await call();
			times.push(performance.now() - started);
		}
		return { calls: BLOCK, wall: median(times) };
	};
	if (row === "throughput") {
		const conns = Array.from({ length: THROUGHPUT_ACTORS }, (_, i) =>
			client.counter.getOrCreate(`ab-${i}`).connect(),
		);
		const callers = conns.map((conn) => () => conn.increment());
		call = () => Promise.all(callers.map((c) => c()));
		block = async () => {
			const started = performance.now();
			const rate = await pipelined(callers, THROUGHPUT_DEPTH, 1);
			// The calls made, the ones in flight at the deadline included (the CPU
			// read covers their drain too): the rate is per second, not a count.
			const calls = Math.round((rate * (performance.now() - started)) / 1_000);
			return { calls, wall: 1_000 / rate };
		};
		dispose = async () => {
			await Promise.all(conns.map((conn) => conn.dispose()));
		};
	} else if (row === "http" || row === "http-relaxed") {
		const handle = (row === "http" ? client.counter : client.relaxedCounter).getOrCreate("ab");
		call = () => handle.increment();
	} else {
		const conn = (row === "relaxed" ? client.relaxedCounter : client.counter)
			.getOrCreate("ab")
			.connect();
		call = () => conn.increment();
		dispose = () => conn.dispose();
	}
	const until = performance.now() + 4_000;
	for (let i = 0; i < 5_000 && performance.now() < until; i++) await call();
	if (row === "throughput") await block();
	return {
		label,
		server,
		block,
		wall: [],
		cpu: [],
		close: async () => {
			await dispose();
			await client.dispose();
			await server.stop();
			rmSync(dataDir, { recursive: true, force: true });
		},
	};
}

async function phase(first: ["A" | "B", string], second: ["A" | "B", string]) {
	const sides: Side[] = [];
	try {
		for (const [label, tree] of [first, second]) sides.push(await startSide(label, tree));
		// Warmed again side by side: the first side sat idle while the second started and warmed
		// up, long enough for its HTTP client's keep-alive socket to expire; its first blocks then
		// ran on a new connection, slower until its code was warm for it again (about a second).
		for (let block = 0; block < (row === "throughput" ? 1 : 30); block++)
			for (const side of sides) await side.block();
		for (let block = 0; block < blocks; block++) {
			for (const side of block % 2 === 0 ? sides : [...sides].reverse()) {
				const before = cpuOf(side.server);
				const { calls, wall } = await side.block();
				side.wall.push(wall);
				side.cpu.push(((cpuOf(side.server) - before) * 1000) / calls);
			}
		}
	} finally {
		for (const side of sides) await side.close();
	}
	const [a, b] = ["A", "B"].map((label) => sides.find((s) => s.label === label) as Side) as [
		Side,
		Side,
	];
	return { a, b };
}

const commit = execFileSync("git", ["-C", root, "rev-parse", ref], { encoding: "utf8" }).trim();
const before = checkout(commit);
if (pinned && cpus.length >= 2) pin(process.pid, String(cpus[0]));
try {
	const orders = [await phase(["A", before], ["B", root]), await phase(["B", root], ["A", before])];
	const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
	console.log(
		`A = ${ref} (${commit.slice(0, 7)}), B = the working tree; row ${row}, ${blocks} blocks of ${row === "throughput" ? "1 s" : BLOCK} per side and order`,
	);
	const ratios = { wall: [] as number[], cpu: [] as number[] };
	orders.forEach(({ a, b }, i) => {
		const wall = median(b.wall) / median(a.wall);
		const cpu = mean(b.cpu) / mean(a.cpu);
		ratios.wall.push(wall);
		ratios.cpu.push(cpu);
		console.log(
			`  ${i === 0 ? "A started first" : "B started first"}: A ${(median(a.wall) * 1000).toFixed(1)} µs, ${mean(a.cpu).toFixed(1)} µs CPU; B ${(median(b.wall) * 1000).toFixed(1)} µs, ${mean(b.cpu).toFixed(1)} µs CPU; B / A wall ${wall.toFixed(3)}×, CPU ${cpu.toFixed(3)}×`,
		);
	});
	const geometric = (values: number[]) => Math.sqrt((values[0] as number) * (values[1] as number));
	console.log(
		`  B / A, both orders: wall ${geometric(ratios.wall).toFixed(3)}×, server CPU ${geometric(ratios.cpu).toFixed(3)}× (< 1: the working tree is faster)`,
	);
} finally {
	execFileSync("git", ["-C", root, "worktree", "remove", "--force", before], { stdio: "ignore" });
}
process.exit(0);
