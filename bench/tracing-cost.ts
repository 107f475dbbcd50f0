// What tracing costs per warm action, split in two: the context manager alone
// (AsyncLocalStorage, what any traced Node app pays) and Tenon's spans on top.
// Each mode (and "sampled": a provider recording one trace in ten) runs on
// servers of its own for their whole life, `servers` of each; blocks of calls
// go round them on one connection each, the order reversed every other round.
// A block's clock stops after its server recorded the spans it held for a
// batch, so their cost is in the block. Relaxed durability, so no fsync hides
// the CPU cost (or durable).
//   npx tsx --conditions=tenon-source bench/tracing-cost.ts [rounds] [durable] [servers]
import { startTraced } from "./systems/tenon.js";
import type { TracingMode } from "./systems/types.js";

const rounds = Number(process.argv[2] ?? 30);
const durable = process.argv[3] === "durable";
const perMode = Number(process.argv[4] ?? 3);
const BLOCK = 100;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
const modes: TracingMode[] = ["off", "context", "on", "sampled"];

interface Server {
	mode: TracingMode;
	traced: Awaited<ReturnType<typeof startTraced>>;
	call: () => Promise<unknown>;
	/** Wall time per call (µs), one value per block. */
	wall: number[];
	/** The server's CPU time (user + system) per call (µs), one value per block. */
	cpu: number[];
}

const servers: Server[] = [];
try {
	for (let i = 0; i < perMode; i++) {
		for (const mode of modes) {
			const traced = await startTraced(mode);
			const counter = (durable ? traced.client.counter : traced.client.relaxedCounter).getOrCreate(
				"tracing",
			);
			const conn = counter.connect();
			servers.push({ mode, traced, call: () => conn.increment(), wall: [], cpu: [] });
		}
	}
	for (const server of servers) for (let i = 0; i < 500; i++) await server.call();
	// The server's CPU time (user + system, µs): less moved by the neighbours' load than wall time.
	const serverCpu = async (server: Server) => {
		const { cpu } = (await (await fetch(server.traced.probe)).json()) as {
			cpu: { user: number; system: number };
		};
		return cpu.user + cpu.system;
	};
	for (let round = 0; round < rounds; round++) {
		for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
			for (let i = 0; i < 10; i++) await server.call();
			// The warm-up calls' spans are not the block's.
			await fetch(`${server.traced.probe}/flush-spans`, { method: "POST" });
			const cpuBefore = await serverCpu(server);
			const started = performance.now();
			for (let i = 0; i < BLOCK; i++) await server.call();
			await fetch(`${server.traced.probe}/flush-spans`, { method: "POST" });
			server.wall.push(((performance.now() - started) * 1000) / BLOCK);
			server.cpu.push(((await serverCpu(server)) - cpuBefore) / BLOCK);
		}
	}
	const of = (mode: TracingMode, what: "wall" | "cpu") =>
		median(servers.filter((s) => s.mode === mode).flatMap((s) => s[what]));
	const [cpuOff, cpuContext, cpuOn, cpuSampled] = modes.map((mode) => of(mode, "cpu")) as number[];
	console.log(
		`server CPU per call: off ${cpuOff?.toFixed(1)} µs, context manager only ${cpuContext?.toFixed(1)} µs, tracing on ${cpuOn?.toFixed(1)} µs (Tenon's spans: +${((cpuOn as number) - (cpuContext as number)).toFixed(1)} µs), one trace in ten sampled ${cpuSampled?.toFixed(1)} µs`,
	);
	const [off, context, on, sampled] = modes.map((mode) => of(mode, "wall")) as number[];
	console.log(
		`round trip, ${durable ? "durable" : "relaxed"}, median of ${rounds} blocks of ${BLOCK} calls on each of ${perMode} servers per mode: off ${off?.toFixed(1)} µs, context manager only ${context?.toFixed(1)} µs, tracing on ${on?.toFixed(1)} µs, one trace in ten sampled ${sampled?.toFixed(1)} µs`,
	);
	console.log(
		`on/off ${((on as number) / (off as number)).toFixed(3)}x; context/off ${((context as number) / (off as number)).toFixed(3)}x; on/context (Tenon's spans) ${((on as number) / (context as number)).toFixed(3)}x; sampled/off ${((sampled as number) / (off as number)).toFixed(3)}x`,
	);
	for (const mode of modes) {
		const each = servers
			.filter((s) => s.mode === mode)
			.map((s) => (median(s.wall) / (off as number)).toFixed(3));
		console.log(`  ${mode}: each server's median / off: ${each.join(", ")}`);
	}
} finally {
	await Promise.allSettled(servers.map((server) => server.traced.stop()));
}
