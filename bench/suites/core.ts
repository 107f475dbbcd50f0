// The core workloads, run on every system that can run them, one system at a
// time, in the same run: Tenon, its peers (Durable Objects in workerd,
// RivetKit, Restate) and the machine's floor.

import { pinForLatency, unpin } from "../lib/affinity.js";
import { ensurePeers } from "../lib/peers.js";
import { step } from "../lib/progress.js";
import { type BenchRow, unsupportedRow } from "../lib/report.js";
import { ms, summarize, time } from "../lib/stats.js";
import { floorSystem, lmdbCommitFloor } from "../systems/floor.js";
import { restateSystem } from "../systems/restate.js";
import { rivetkitSystem } from "../systems/rivetkit.js";
import { tenonSystem } from "../systems/tenon.js";
import type { Caller, System, WorkloadName } from "../systems/types.js";
import { workerdSystem } from "../systems/workerd.js";
import { Rows, samples } from "./core-rows.js";

export interface CoreOptions {
	quick: boolean;
	/** Only these systems (by id: tenon, tenon-txn, workerd, rivetkit, restate, floor, floor-durable). */
	systems?: string[];
	/**
	 * Only these workloads, by short name (warm, warmRelaxed, warmTraced, http,
	 * httpRelaxed, create, wake, throughput, memory, broadcast, sharedState) or
	 * by row number (`1` also runs 1b and 1c; `7` also 7b).
	 */
	workloads?: string[];
}

interface Plan {
	/** Samples per latency workload, and the time budget for them. */
	samples: number;
	budgetMs: number;
	/**
	 * Calls before a latency row's samples: this many, or as many as fit in
	 * `warmupMs`, whichever ends first (the same rule for every system). A
	 * server's JIT keeps optimizing the action's path for thousands of calls:
	 * Tenon's warm action went from 1,087 to 530 µs a call between its 500th
	 * and its 8,000th call, with 170 functions optimized on the way.
	 */
	warmupCalls: number;
	warmupMs: number;
	createSamples: number;
	sleepers: number;
	actors: number;
	depth: number;
	seconds: number;
	memoryCounts: number[];
	/**
	 * Longest waking the actors of one count may take (extrapolated from the
	 * count before): past it the count is skipped and says so. Tenon's is
	 * larger: its row has a target at the largest count.
	 */
	memoryBudgetMs: number;
	tenonMemoryBudgetMs: number;
	/** Longest the whole memory workload may take (wake, measure, sleep, measure). */
	memoryDeadlineMs: number;
	connections: number;
	/** Receiving processes the broadcast's connections are spread over. */
	fanoutProcesses: number;
	rounds: number;
	/** Longest a single workload may take on one system before it counts as failed. */
	workloadDeadlineMs: number;
}

const QUICK: Plan = {
	samples: 300,
	budgetMs: 3_000,
	warmupCalls: 50,
	warmupMs: 500,
	createSamples: 100,
	sleepers: 50,
	actors: 100,
	depth: 4,
	seconds: 2,
	memoryCounts: [1_000],
	memoryBudgetMs: 10_000,
	tenonMemoryBudgetMs: 10_000,
	memoryDeadlineMs: 60_000,
	connections: 200,
	fanoutProcesses: 2,
	rounds: 10,
	workloadDeadlineMs: 60_000,
};

const FULL: Plan = {
	samples: 2_000,
	budgetMs: 20_000,
	warmupCalls: 5_000,
	warmupMs: 4_000,
	createSamples: 500,
	sleepers: 300,
	actors: 1_000,
	depth: 8,
	seconds: 5,
	memoryCounts: [1_000, 10_000, 100_000],
	memoryBudgetMs: 60_000,
	tenonMemoryBudgetMs: 180_000,
	memoryDeadlineMs: 420_000,
	connections: 1_000,
	fanoutProcesses: 4,
	rounds: 30,
	workloadDeadlineMs: 120_000,
};

const WORKLOADS = {
	warm: "1. warm action over a connection",
	warmRelaxed: "1b. warm action, reply before the write is on disk (relaxed)",
	warmTraced: "1c. warm action over a connection, OpenTelemetry tracing on (no exporter)",
	http: "2. stateless HTTP action, warm actor",
	httpRelaxed: "2b. stateless HTTP action, reply before the write is on disk (relaxed)",
	create: "3. create + first action (new key)",
	wake: "4. wake from sleep + action",
} as const;

/** The row number of each workload, for `--workloads=1,5` (its rows: 1 is 1, 1b and 1c). */
const ROW_NUMBERS: Record<WorkloadName, string> = {
	warm: "1",
	warmRelaxed: "1",
	warmTraced: "1",
	http: "2",
	httpRelaxed: "2",
	create: "3",
	wake: "4",
	throughput: "5",
	memory: "6",
	broadcast: "7",
	serverFanout: "7",
	sharedState: "7",
};

/** Row 1c: calls per block (blocks go round the servers of each tracing mode). */
const TRACING_BLOCK = 50;
/** Row 1c: servers per tracing mode. */
const TRACING_SERVERS = 3;

/** Calls `caller` until the plan's warm-up calls are made or its warm-up time is up. */
async function warmUp(caller: Caller, plan: Plan, signal: AbortSignal): Promise<void> {
	const until = performance.now() + plan.warmupMs;
	for (let i = 0; i < plan.warmupCalls && performance.now() < until; i++) {
		signal.throwIfAborted();
		await caller.call();
	}
}

/** A workload's body: it stops starting calls once `signal` aborts, and may `report` progress. */
type WorkloadBody = (signal: AbortSignal, report: (status: string) => void) => Promise<void>;

async function runSystem(
	system: System,
	plan: Plan,
	isTenon: boolean,
	workloads: readonly string[] | undefined,
): Promise<BenchRow[]> {
	const out = new Rows(system);
	/** The workload was not filtered out with --workloads (by its name or its row's number). */
	const wanted = (name: WorkloadName) =>
		workloads === undefined || workloads.includes(name) || workloads.includes(ROW_NUMBERS[name]);
	const attempt = async (
		workload: string,
		fn: WorkloadBody,
		deadlineMs = plan.workloadDeadlineMs,
	) => {
		const progress = step(`core › ${system.name} › ${workload}`);
		const stop = new AbortController();
		let timer: NodeJS.Timeout | undefined;
		// A system that stops answering must not hold up the run: past the
		// deadline the workload is reported as failed.
		const deadline = new Promise<never>((_, reject) => {
			timer = setTimeout(
				() => reject(new Error(`timed out after ${deadlineMs / 1000} s`)),
				deadlineMs,
			);
		});
		try {
			await Promise.race([fn(stop.signal, progress.report), deadline]);
			progress.done();
		} catch (error) {
			out.failed(workload, error);
			progress.done(`failed: ${error instanceof Error ? error.message : String(error)}`);
			// Its loops start no further call, and the calls still in flight end
			// with the server: the next workload runs on a fresh one, unloaded
			// (an abandoned workload once kept waking actors through the next row).
			stop.abort(error);
			await system.stop();
			await system.start();
		} finally {
			clearTimeout(timer);
		}
	};
	const latencyOverConnection = async (
		name: "warm" | "warmRelaxed" | "http" | "httpRelaxed",
		start: ((key: string) => Promise<Caller>) | undefined,
		key: string,
	) => {
		const workload = WORKLOADS[name];
		if (!wanted(name)) return;
		if (!start) return out.unsupported(name, workload);
		await attempt(workload, async (signal) => {
			const caller = await start.call(system, key);
			await warmUp(caller, plan, signal);
			out.latency(name, workload, await samples(plan.samples, plan.budgetMs, caller.call, signal));
			await caller.close();
		});
	};
	/**
	 * 1c: row 1's call on servers that each run with tracing off, with only
	 * the context manager, or on, from start to end (TRACING_SERVERS of each,
	 * so one process's luck of the draw does not decide the ratio). Blocks of
	 * calls go round the servers, the order reversed every other round (drift
	 * and the neighbours' load hit every mode alike); a block's clock stops
	 * after the server recorded the spans it held for a batch. The note gives
	 * the ratio of the medians.
	 */
	const tracingCost = async () => {
		const workload = WORKLOADS.warmTraced;
		const traced = system.tracedConnection?.bind(system);
		if (!wanted("warmTraced") || !traced) return;
		await attempt(workload, async (signal, report) => {
			const modes = ["off", "context", "on"] as const;
			const callers: { mode: (typeof modes)[number]; caller: Caller; values: number[] }[] = [];
			try {
				for (let i = 0; i < TRACING_SERVERS; i++) {
					for (const mode of modes) {
						report(`starting server ${callers.length + 1} of ${TRACING_SERVERS * modes.length}`);
						callers.push({ mode, caller: await traced(mode), values: [] });
					}
				}
				for (const { caller } of callers) await warmUp(caller, plan, signal);
				const until = performance.now() + plan.budgetMs;
				const perMode = () =>
					callers.filter((c) => c.mode === "on").reduce((n, c) => n + c.values.length, 0);
				for (let round = 0; perMode() < plan.samples; round++) {
					for (const { caller, values } of round % 2 === 0 ? callers : [...callers].reverse()) {
						signal.throwIfAborted();
						await caller.call();
						// The warm-up call's spans are not the block's.
						await caller.settle?.();
						const block: number[] = [];
						const started = performance.now();
						for (let i = 0; i < TRACING_BLOCK; i++) block.push(await time(caller.call));
						await caller.settle?.();
						// The block's settling (the batch of spans, the probe's round trip) spread on its calls.
						const extra =
							(performance.now() - started - block.reduce((a, b) => a + b, 0)) / block.length;
						for (const value of block) values.push(value + extra);
					}
					if (perMode() >= 20 && performance.now() > until) break;
				}
			} finally {
				await Promise.allSettled(callers.map(({ caller }) => caller.close()));
			}
			const pooled = (mode: (typeof modes)[number]) =>
				callers.filter((c) => c.mode === mode).flatMap((c) => c.values);
			const on = pooled("on");
			out.latency("warmTraced", workload, on);
			const [onMedian, contextMedian, offMedian] = [on, pooled("context"), pooled("off")].map(
				(values) => summarize(values).median,
			) as [number, number, number];
			const perServer = (mode: (typeof modes)[number]) =>
				callers
					.filter((c) => c.mode === mode)
					.map((c) => (summarize(c.values).median / offMedian).toFixed(2))
					.join(", ");
			const row = out.rows[out.rows.length - 1] as BenchRow;
			// on / context is Tenon's own tracing cost; context / off is the context manager's
			// (AsyncLocalStorage: on Node 20 a hook on every promise of the process).
			row.note = `tracing on / off: ${(onMedian / offMedian).toFixed(3)}×; of which Tenon's spans (on / context manager only): ${(onMedian / contextMedian).toFixed(3)}×, the context manager alone (context / off): ${(contextMedian / offMedian).toFixed(3)}× (medians ${ms(onMedian)}, ${ms(contextMedian)}, ${ms(offMedian)}; ${on.length} calls each on ${TRACING_SERVERS} servers per mode, in blocks of ${TRACING_BLOCK}; each server's median / off: on ${perServer("on")}; context ${perServer("context")}; off ${perServer("off")})`;
		});
	};
	await system.start();
	try {
		// Rows 1 to 4: one call in flight, the runner and the system on cores of their own (lib/affinity.ts).
		pinForLatency();
		await latencyOverConnection("warm", system.warmConnection, "warm");
		await tracingCost();
		await latencyOverConnection("warmRelaxed", system.warmRelaxed, "warm-relaxed");
		await latencyOverConnection("http", system.httpAction, "http");
		await latencyOverConnection("httpRelaxed", system.httpRelaxed, "http-relaxed");
		if (!wanted("create")) {
			// Filtered out with --workloads.
		} else if (system.createAndCall) {
			const create = system.createAndCall.bind(system);
			await attempt(WORKLOADS.create, async (signal) => {
				let i = 0;
				const values = await samples(
					plan.createSamples,
					plan.budgetMs,
					() => create(`new-${i++}`),
					signal,
				);
				out.latency("create", WORKLOADS.create, values);
			});
		} else out.unsupported("create", WORKLOADS.create);
		if (!wanted("wake")) {
			// Filtered out with --workloads.
		} else if (system.sleep && system.wakeAndCall) {
			const sleep = system.sleep.bind(system);
			const wake = system.wakeAndCall.bind(system);
			await attempt(WORKLOADS.wake, async (signal) => {
				// Put a first few to sleep to learn how long it takes, then as many as fit.
				const keys = Array.from({ length: 10 }, (_, i) => `sleepy-${i}`);
				const perKey = (await time(() => sleep(keys))) / keys.length;
				const more = Math.min(plan.sleepers, Math.floor(plan.budgetMs / perKey)) - keys.length;
				const extra = Array.from({ length: Math.max(0, more) }, (_, i) => `sleepy-${10 + i}`);
				if (extra.length > 0) await sleep(extra);
				keys.push(...extra);
				let i = 0;
				const values = await samples(
					keys.length,
					plan.budgetMs,
					() => wake(keys[i++] as string),
					signal,
				);
				out.latency("wake", WORKLOADS.wake, values);
			});
		} else out.unsupported("wake", WORKLOADS.wake);
		// Rows 5 to 7 use every core (the runner, the system, the broadcast's receiving processes).
		unpin();
		const tpWorkload = `5. throughput: ${plan.actors.toLocaleString("en")} actors, pipelined`;
		if (!wanted("throughput")) {
			// Filtered out with --workloads.
		} else if (system.throughput) {
			const run = system.throughput.bind(system);
			await attempt(tpWorkload, async (signal) => {
				const perSecond = await run({
					actors: plan.actors,
					depth: plan.depth,
					seconds: plan.seconds,
					signal,
				});
				out.rate("throughput", tpWorkload, perSecond);
			});
		} else out.unsupported("throughput", tpWorkload);
		const memoryWorkload = (count: number) =>
			`6. memory per awake idle actor (${count.toLocaleString("en")} actors)`;
		if (!wanted("memory")) {
			// Filtered out with --workloads.
		} else if (system.memory) {
			const measure = system.memory.bind(system);
			const budgetMs = isTenon ? plan.tenonMemoryBudgetMs : plan.memoryBudgetMs;
			await attempt(
				"6. memory",
				async (signal, report) => {
					// On a freshly started server: what earlier workloads left on the
					// heap (1,000 busy actors, thousands of calls in flight) would
					// otherwise be reused and hide what idle actors cost.
					await system.stop();
					await system.start();
					const {
						perAwake,
						perSleeping,
						skipped = [],
						notes,
					} = await measure({ counts: plan.memoryCounts, budgetMs, signal, report });
					// Sleeping actors are measured over the largest count that was woken (not one skipped).
					const largest = Math.max(0, ...[...perAwake].map(([count]) => count));
					for (const [count, bytes] of perAwake) {
						out.bytes("memory", memoryWorkload(count), bytes, count === 100_000);
						const note = notes?.get(count);
						if (note !== undefined) (out.rows[out.rows.length - 1] as BenchRow).note = note;
					}
					for (const count of skipped) {
						out.rows.push(
							unsupportedRow(
								{
									suite: "core",
									workload: memoryWorkload(count),
									system: system.name,
									durability: system.durability,
								},
								`skipped: waking this many would take longer than the time budget (${budgetMs / 1000} s)`,
							),
						);
					}
					if (perSleeping !== undefined) {
						out.bytes(
							"memory",
							`6. memory per sleeping actor (JS heap, ${largest.toLocaleString("en")} actors)`,
							perSleeping,
							false,
						);
					}
				},
				plan.memoryDeadlineMs,
			);
		} else out.unsupported("memory", memoryWorkload(plan.memoryCounts[0] as number));
		const receivers = `${plan.connections.toLocaleString("en")} connections in ${plan.fanoutProcesses} client processes`;
		const fanoutWorkload = `7. broadcast to ${receivers} (last receipt)`;
		const serverFanoutWorkload = `7b. broadcast to ${receivers}: server fan-out (trigger in, last frame written)`;
		if (!wanted("broadcast")) {
			// Filtered out with --workloads.
		} else if (system.broadcast) {
			const run = system.broadcast.bind(system);
			await attempt(fanoutWorkload, async (signal) => {
				const times = await run({
					connections: plan.connections,
					processes: plan.fanoutProcesses,
					rounds: plan.rounds,
					signal,
				});
				out.latency("broadcast", fanoutWorkload, times.lastReceipt);
				if (times.serverFanout) {
					out.latency("serverFanout", serverFanoutWorkload, times.serverFanout);
					const firstWrite = summarize(times.serverFirstWrite ?? []).median;
					const row = out.rows[out.rows.length - 1] as BenchRow;
					row.note = `first frame written ${ms(firstWrite)} after the trigger arrived`;
				} else out.unsupported("serverFanout", serverFanoutWorkload);
			});
		} else out.unsupported("broadcast", fanoutWorkload);
		const sharedWorkload = `7c. shared state change kept in step on ${receivers} (last receipt)`;
		if (!wanted("sharedState")) {
			// Filtered out with --workloads.
		} else if (system.sharedStateFanout) {
			const run = system.sharedStateFanout.bind(system);
			await attempt(sharedWorkload, async (signal) => {
				const times = await run({
					connections: plan.connections,
					processes: plan.fanoutProcesses,
					rounds: plan.rounds,
					signal,
				});
				out.latency("sharedState", sharedWorkload, times.lastReceipt);
				const row = out.rows[out.rows.length - 1] as BenchRow;
				row.note =
					"a durable state change, then a patch to every connection (compare with row 7, the plain broadcast)";
			});
		} else out.unsupported("sharedState", sharedWorkload);
	} finally {
		unpin();
		await system.stop();
	}
	return out.rows;
}

export async function coreSuite(options: CoreOptions): Promise<BenchRow[]> {
	const plan = options.quick ? QUICK : FULL;
	const all: Record<string, () => System> = {
		tenon: tenonSystem,
		"tenon-txn": () => tenonSystem({ commitLog: false }),
		workerd: workerdSystem,
		rivetkit: rivetkitSystem,
		restate: restateSystem,
		floor: floorSystem,
		"floor-durable": () => floorSystem({ durable: true }),
	};
	const peers = new Set(["workerd", "rivetkit", "restate"]);
	const wanted = options.systems ?? (options.quick ? ["tenon", "floor"] : Object.keys(all));
	const rows: BenchRow[] = [];
	let peersMissing: string | undefined;
	if (wanted.some((id) => peers.has(id))) peersMissing = ensurePeers();
	for (const id of wanted) {
		const make = all[id];
		if (!make) throw new Error(`unknown system "${id}" (one of ${Object.keys(all).join(", ")})`);
		const system = make();
		if (peers.has(id) && peersMissing) {
			rows.push(
				unsupportedRow(
					{ suite: "core", workload: "all", system: system.name, durability: system.durability },
					`not run: ${peersMissing}`,
				),
			);
			continue;
		}
		const progress = step(`core › ${system.name}`);
		try {
			rows.push(
				...(await runSystem(system, plan, id === "tenon" || id === "tenon-txn", options.workloads)),
			);
			progress.done("done");
		} catch (error) {
			const message = error instanceof Error ? error.message : String(error);
			progress.done(`failed to start: ${message}`);
			rows.push(
				unsupportedRow(
					{ suite: "core", workload: "all", system: system.name, durability: system.durability },
					`failed to start: ${message.split("\n")[0]?.slice(0, 160)}`,
				),
			);
		}
	}
	if (wanted.includes("floor")) {
		const progress = step("core › floor: bare LMDB commit");
		rows.push({
			suite: "core",
			workload: "floor: one durable LMDB commit (write transaction + fsync)",
			system: "floor: bare LMDB",
			durability: "fsync",
			summary: summarize(await lmdbCommitFloor(options.quick ? 100 : 500)),
		});
		progress.done();
	}
	return rows;
}
