// Row 1 (or 2) of several systems at once, interleaved: every system is
// started and warmed up (round robin), then blocks of calls go round them, the order
// reversed every other round, so the machine's drift (a neighbour's load, the
// virtual disk's flush time, which moves from minute to minute here) hits
// every system alike. The core suite measures one system after another, and
// row 1 of two systems run a minute apart moved by up to 1.4× here.
// Pinned as the core suite's latency rows are (lib/affinity.ts).
//   npx tsx --conditions=tenon-source bench/head-to-head.ts [rounds] [warm|http|http-relaxed] [systems]
// http-relaxed: row 2b, the systems' relaxed HTTP action where they have one
// (Tenon's relaxed counter), else their row 2 (the bare floor writes nothing).
// systems: comma-separated ids of the core suite (default tenon,workerd,floor-durable).
// Prints each system's median, each round's median ratio to the first system,
// and the median of those ratios (> 1: the first system is faster).
import { pinForLatency, unpin } from "./lib/affinity.js";
import { ensurePeers } from "./lib/peers.js";
import { floorSystem } from "./systems/floor.js";
import { tenonSystem } from "./systems/tenon.js";
import type { Caller, System } from "./systems/types.js";
import { workerdSystem } from "./systems/workerd.js";

const rounds = Number(process.argv[2] ?? 30);
const row = (["http", "http-relaxed"] as const).find((r) => r === process.argv[3]) ?? "warm";
const ids = (process.argv[4] ?? "tenon,workerd,floor-durable").split(",");
const BLOCK = 50;
const WARMUP_CALLS = 5_000;
const WARMUP_MS = 4_000;

const make: Record<string, () => System> = {
	tenon: () => tenonSystem(),
	workerd: workerdSystem,
	floor: () => floorSystem(),
	"floor-durable": () => floorSystem({ durable: true }),
};
const median = (values: readonly number[]) =>
	[...values].sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN;

interface Contender {
	id: string;
	system: System;
	caller: Caller;
	/** One median (ms) per round. */
	rounds: number[];
	all: number[];
}

if (ids.includes("workerd")) {
	const missing = ensurePeers();
	if (missing) throw new Error(`workerd is not installed: ${missing}`);
}
const contenders: Contender[] = [];
try {
	for (const id of ids) {
		const build = make[id];
		if (!build) throw new Error(`unknown system "${id}" (one of ${Object.keys(make).join(", ")})`);
		const system = build();
		await system.start();
		const start =
			row === "http-relaxed"
				? (system.httpRelaxed ?? system.httpAction)
				: row === "http"
					? system.httpAction
					: system.warmConnection;
		if (!start) throw new Error(`${system.name} has no row ${row}`);
		contenders.push({
			id,
			system,
			caller: await start.call(system, `h2h-${row}`),
			rounds: [],
			all: [],
		});
	}
	pinForLatency();
	// Round robin, as the rounds go: warmed one after another, the first system sat idle through
	// the others' warm-ups (workerd's takes its 4 s), its client's keep-alive socket expired, and
	// its rounds began on a new connection, before its code was warm for it again (Tenon's HTTP
	// rows read 1.55 to 1.75 times the durable floor instead of 1.33 to 1.39, back after about
	// a second of calls; 2026-11-26).
	const warmed = new Map(contenders.map((contender) => [contender, { calls: 0, ms: 0 }]));
	while ([...warmed.values()].some((w) => w.calls < WARMUP_CALLS && w.ms < WARMUP_MS)) {
		for (const [contender, warm] of warmed) {
			if (warm.calls >= WARMUP_CALLS || warm.ms >= WARMUP_MS) continue;
			const started = performance.now();
			for (let i = 0; i < BLOCK; i++) await contender.caller.call();
			warm.calls += BLOCK;
			warm.ms += performance.now() - started;
		}
	}
	for (let round = 0; round < rounds; round++) {
		const order = round % 2 === 0 ? contenders : [...contenders].reverse();
		for (const contender of order) {
			const block: number[] = [];
			for (let i = 0; i < BLOCK; i++) {
				const started = performance.now();
				await contender.caller.call();
				block.push(performance.now() - started);
			}
			contender.rounds.push(median(block));
			contender.all.push(...block);
		}
	}
} finally {
	unpin();
	for (const { caller, system } of contenders) {
		await caller.close().catch(() => {});
		await system.stop();
	}
}

const [first, ...others] = contenders as [Contender, ...Contender[]];
console.log(
	`row ${{ warm: "1", http: "2", "http-relaxed": "2b" }[row]}, ${rounds} rounds of ${BLOCK} calls per system:`,
);
for (const contender of contenders) {
	console.log(
		`  ${contender.system.name.padEnd(52)} median ${(median(contender.all) * 1000).toFixed(0)} µs`,
	);
}
/** Issue 17's goal for a pair (other / first, > 1: first faster), when it sets one. */
function goal(other: Contender): { text: string; met: (ratio: number) => boolean } | undefined {
	if (first.id !== "tenon") return undefined;
	if (other.id === "workerd" && row === "warm")
		return { text: "at least 1.25× faster than workerd", met: (ratio) => ratio >= 1.25 };
	if (other.id === "floor-durable" && row !== "http-relaxed")
		return { text: "within 1.5× the durable floor", met: (ratio) => 1 / ratio <= 1.5 };
	if (other.id === "floor" && row === "http-relaxed")
		return { text: "within 1.5× the bare floor", met: (ratio) => 1 / ratio <= 1.5 };
	return undefined;
}

for (const other of others) {
	const ratios = other.rounds.map((value, i) => value / (first.rounds[i] as number));
	const sorted = [...ratios].sort((a, b) => a - b);
	const ratio = median(ratios);
	console.log(
		`  ${other.system.name} / ${first.system.name}: median of round ratios ${ratio.toFixed(3)}× (rounds ${sorted[0]?.toFixed(2)} to ${sorted.at(-1)?.toFixed(2)}; > 1: ${first.system.name} faster)`,
	);
	const wanted = goal(other);
	if (wanted)
		console.log(
			`    issue 17's goal, ${wanted.text}: ${wanted.met(ratio) ? "met" : "MISSED"} (Tenon / ${other.id} ${(1 / ratio).toFixed(3)}×)`,
		);
}
process.exit(0);
