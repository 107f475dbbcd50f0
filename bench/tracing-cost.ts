// What tracing costs per warm action, split in two: the context manager alone
// (AsyncLocalStorage, what any traced Node app pays) and Tenon's spans on top.
// Relaxed durability, so no fsync hides the CPU cost (or durable); the modes (and "sampled":
// a provider recording one trace in ten) alternate in blocks on one connection.
//   npx tsx --conditions=tenon-source bench/tracing-cost.ts [blocks] [durable]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "tenon/client";
import { startBundled } from "./lib/process.js";
import type { benchRegistry } from "./servers/tenon.js";
import type { TracingMode } from "./systems/types.js";

const blocks = Number(process.argv[2] ?? 60);
const durable = process.argv[3] === "durable";
const BLOCK = 100;
const dataDir = mkdtempSync(join(tmpdir(), "tenon-bench-tracing-"));
const server = await startBundled(join(import.meta.dirname, "servers", "tenon.ts"), {
	TENON_DATA_DIR: dataDir,
	TENON_LOG_LEVEL: "error",
});
const probe = /MEMORY (\S+)/.exec(server.output)?.[1] ?? "";
const client = createClient<typeof benchRegistry>({ endpoint: server.url });
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
try {
	const conn = (durable ? client.counter : client.relaxedCounter).getOrCreate("tracing").connect();
	for (let i = 0; i < 500; i++) await conn.increment();
	const modes: TracingMode[] = ["off", "context", "on", "sampled"];
	const perBlock = new Map<TracingMode, number[]>(modes.map((mode) => [mode, []]));
	const cpuPerBlock = new Map<TracingMode, number[]>(modes.map((mode) => [mode, []]));
	// The server's CPU time (user + system, µs): less moved by the neighbours' load than wall time.
	const serverCpu = async () => {
		const { cpu } = (await (await fetch(probe)).json()) as {
			cpu: { user: number; system: number };
		};
		return cpu.user + cpu.system;
	};
	for (let b = 0; b < blocks; b++) {
		for (const mode of modes) {
			await fetch(`${probe}/tracing/${mode}`, { method: "POST" });
			for (let i = 0; i < 20; i++) await conn.increment();
			const cpuBefore = await serverCpu();
			const started = performance.now();
			for (let i = 0; i < BLOCK; i++) await conn.increment();
			perBlock.get(mode)?.push(((performance.now() - started) * 1000) / BLOCK);
			cpuPerBlock.get(mode)?.push(((await serverCpu()) - cpuBefore) / BLOCK);
		}
	}
	const [cpuOff, cpuContext, cpuOn, cpuSampled] = modes.map((mode) =>
		median(cpuPerBlock.get(mode) ?? []),
	);
	console.log(
		`server CPU per call: off ${cpuOff?.toFixed(1)} µs, context manager only ${cpuContext?.toFixed(1)} µs, tracing on ${cpuOn?.toFixed(1)} µs (Tenon's spans: +${((cpuOn as number) - (cpuContext as number)).toFixed(1)} µs), one trace in ten sampled ${cpuSampled?.toFixed(1)} µs`,
	);
	const [off, context, on, sampled] = modes.map((mode) => median(perBlock.get(mode) ?? []));
	console.log(
		`round trip, ${durable ? "durable" : "relaxed"}, median of ${blocks} blocks of ${BLOCK} calls: off ${off?.toFixed(1)} µs, context manager only ${context?.toFixed(1)} µs, tracing on ${on?.toFixed(1)} µs, one trace in ten sampled ${sampled?.toFixed(1)} µs`,
	);
	console.log(
		`on/off ${((on as number) / (off as number)).toFixed(3)}x; context/off ${((context as number) / (off as number)).toFixed(3)}x; on/context (Tenon's spans) ${((on as number) / (context as number)).toFixed(3)}x; sampled/off ${((sampled as number) / (off as number)).toFixed(3)}x`,
	);
} finally {
	await client.dispose();
	await server.stop();
	rmSync(dataDir, { recursive: true, force: true });
}
