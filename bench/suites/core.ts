// The core workloads, run on every system that can run them, one system at a
// time, in the same run: Tenon, its peers (Durable Objects in workerd,
// RivetKit, Restate) and the machine's floor.

import { ensurePeers } from "../lib/peers.js";
import type { BenchRow } from "../lib/report.js";
import { unsupportedRow } from "../lib/report.js";
import { summarize, time } from "../lib/stats.js";
import { floorSystem, lmdbCommitFloor } from "../systems/floor.js";
import { restateSystem } from "../systems/restate.js";
import { rivetkitSystem } from "../systems/rivetkit.js";
import { tenonSystem } from "../systems/tenon.js";
import type { System, WorkloadName } from "../systems/types.js";
import { workerdSystem } from "../systems/workerd.js";

/** Targets for Tenon (from the benchmark issue). */
const TARGETS: Partial<Record<WorkloadName, { median: number; text: string }>> = {
	warm: { median: 0.6, text: "<= 0.6 ms" },
	http: { median: 1, text: "<= 1 ms" },
	create: { median: 2, text: "<= 2 ms" },
	wake: { median: 2, text: "<= 2 ms" },
	throughput: { median: 1_000 / 50_000, text: ">= 50,000 /s" },
	memory: { median: 5_000, text: "<= 5 KB" },
	broadcast: { median: 5, text: "<= 5 ms" },
} as const;

export interface CoreOptions {
	quick: boolean;
	/** Only these systems (by id: tenon, workerd, rivetkit, restate, floor). */
	systems?: string[];
}

interface Plan {
	/** Samples per latency workload, and the time budget for them. */
	samples: number;
	budgetMs: number;
	createSamples: number;
	sleepers: number;
	actors: number;
	depth: number;
	seconds: number;
	memoryCounts: number[];
	memoryBudgetMs: number;
	connections: number;
	rounds: number;
	/** Longest a single workload may take on one system before it counts as failed. */
	workloadDeadlineMs: number;
}

const QUICK: Plan = {
	samples: 300,
	budgetMs: 3_000,
	createSamples: 100,
	sleepers: 50,
	actors: 100,
	depth: 4,
	seconds: 2,
	memoryCounts: [1_000],
	memoryBudgetMs: 10_000,
	connections: 200,
	rounds: 10,
	workloadDeadlineMs: 60_000,
};

const FULL: Plan = {
	samples: 2_000,
	budgetMs: 20_000,
	createSamples: 500,
	sleepers: 300,
	actors: 1_000,
	depth: 8,
	seconds: 5,
	memoryCounts: [1_000, 10_000, 100_000],
	memoryBudgetMs: 60_000,
	connections: 1_000,
	rounds: 30,
	workloadDeadlineMs: 120_000,
};

/** Up to `n` samples of `fn`, stopping early (after at least 20) when the budget is spent. */
async function samples(n: number, budgetMs: number, fn: () => Promise<unknown>): Promise<number[]> {
	const out: number[] = [];
	const until = performance.now() + budgetMs;
	for (let i = 0; i < n; i++) {
		out.push(await time(fn));
		if (i >= 19 && performance.now() > until) break;
	}
	return out;
}

class Rows {
	readonly rows: BenchRow[] = [];
	constructor(private readonly system: System) {}

	#base(name: WorkloadName, workload: string): BenchRow {
		const system = this.system;
		const isTenon = system.name.startsWith("Tenon");
		return {
			suite: "core",
			workload,
			system: system.name,
			durability:
				name === "warmRelaxed"
					? (system.relaxedDurability ?? system.durability)
					: system.durability,
			durabilityDetail: system.durabilityDetail,
			summary: summarize([]),
			...(system.notes?.[name] ? { note: system.notes[name] } : {}),
			...(isTenon && TARGETS[name] ? { target: TARGETS[name] } : {}),
		};
	}

	latency(name: WorkloadName, workload: string, values: number[]): void {
		this.rows.push({ ...this.#base(name, workload), summary: summarize(values) });
	}

	rate(name: WorkloadName, workload: string, perSecond: number): void {
		this.rows.push({
			...this.#base(name, workload),
			summary: summarize([1_000 / perSecond]),
			rate: perSecond,
		});
	}

	bytes(name: WorkloadName, workload: string, bytes: number, withTarget: boolean): void {
		const row = { ...this.#base(name, workload), summary: summarize([bytes]), bytes };
		if (!withTarget) delete row.target;
		this.rows.push(row);
	}

	unsupported(name: WorkloadName, workload: string): void {
		const reason = this.system.unsupported?.[name];
		if (reason) this.rows.push(unsupportedRow(this.#base(name, workload), reason));
	}

	failed(workload: string, error: unknown): void {
		const message = error instanceof Error ? error.message : String(error);
		console.error(`    ${this.system.name}: ${workload} failed: ${message}`);
		this.rows.push(
			unsupportedRow(
				{ suite: "core", workload, system: this.system.name, durability: this.system.durability },
				`failed: ${message.split("\n")[0]?.slice(0, 120)}`,
			),
		);
	}
}

const WORKLOADS = {
	warm: "1. warm action over a connection",
	warmRelaxed: "1b. warm action, reply before the write is on disk (relaxed)",
	http: "2. stateless HTTP action, warm actor",
	create: "3. create + first action (new key)",
	wake: "4. wake from sleep + action",
} as const;

async function runSystem(system: System, plan: Plan, isTenon: boolean): Promise<BenchRow[]> {
	const out = new Rows(system);
	const attempt = async (workload: string, fn: () => Promise<void>) => {
		console.error(`    ${workload}`);
		let timer: NodeJS.Timeout | undefined;
		// A peer that stops answering must not hold up the run: past the
		// deadline the workload is reported as failed (its calls are abandoned,
		// and end when the system is stopped).
		const deadline = new Promise<never>((_, reject) => {
			timer = setTimeout(
				() => reject(new Error(`timed out after ${plan.workloadDeadlineMs / 1000} s`)),
				plan.workloadDeadlineMs,
			);
		});
		try {
			await Promise.race([fn(), deadline]);
		} catch (error) {
			out.failed(workload, error);
		} finally {
			clearTimeout(timer);
		}
	};
	await system.start();
	try {
		if (system.warmConnection) {
			const start = system.warmConnection.bind(system);
			await attempt(WORKLOADS.warm, async () => {
				const caller = await start("warm");
				for (let i = 0; i < 50; i++) await caller.call();
				out.latency(
					"warm",
					WORKLOADS.warm,
					await samples(plan.samples, plan.budgetMs, caller.call),
				);
				await caller.close();
			});
		} else out.unsupported("warm", WORKLOADS.warm);
		if (system.warmRelaxed) {
			const start = system.warmRelaxed.bind(system);
			await attempt(WORKLOADS.warmRelaxed, async () => {
				const caller = await start("warm-relaxed");
				for (let i = 0; i < 50; i++) await caller.call();
				out.latency(
					"warmRelaxed",
					WORKLOADS.warmRelaxed,
					await samples(plan.samples, plan.budgetMs, caller.call),
				);
				await caller.close();
			});
		} else out.unsupported("warmRelaxed", WORKLOADS.warmRelaxed);
		if (system.httpAction) {
			const start = system.httpAction.bind(system);
			await attempt(WORKLOADS.http, async () => {
				const caller = await start("http");
				for (let i = 0; i < 50; i++) await caller.call();
				out.latency(
					"http",
					WORKLOADS.http,
					await samples(plan.samples, plan.budgetMs, caller.call),
				);
				await caller.close();
			});
		} else out.unsupported("http", WORKLOADS.http);
		if (system.createAndCall) {
			const create = system.createAndCall.bind(system);
			await attempt(WORKLOADS.create, async () => {
				let i = 0;
				const values = await samples(plan.createSamples, plan.budgetMs, () => create(`new-${i++}`));
				out.latency("create", WORKLOADS.create, values);
			});
		} else out.unsupported("create", WORKLOADS.create);
		if (system.sleep && system.wakeAndCall) {
			const sleep = system.sleep.bind(system);
			const wake = system.wakeAndCall.bind(system);
			await attempt(WORKLOADS.wake, async () => {
				// Put a first few to sleep to learn how long it takes, then as many as fit.
				const keys = Array.from({ length: 10 }, (_, i) => `sleepy-${i}`);
				const perKey = (await time(() => sleep(keys))) / keys.length;
				const more = Math.min(plan.sleepers, Math.floor(plan.budgetMs / perKey)) - keys.length;
				const extra = Array.from({ length: Math.max(0, more) }, (_, i) => `sleepy-${10 + i}`);
				if (extra.length > 0) await sleep(extra);
				keys.push(...extra);
				let i = 0;
				const values = await samples(keys.length, plan.budgetMs, () => wake(keys[i++] as string));
				out.latency("wake", WORKLOADS.wake, values);
			});
		} else out.unsupported("wake", WORKLOADS.wake);
		const tpWorkload = `5. throughput: ${plan.actors.toLocaleString("en")} actors, pipelined`;
		if (system.throughput) {
			const run = system.throughput.bind(system);
			await attempt(tpWorkload, async () => {
				const perSecond = await run({
					actors: plan.actors,
					depth: plan.depth,
					seconds: plan.seconds,
				});
				out.rate("throughput", tpWorkload, perSecond);
			});
		} else out.unsupported("throughput", tpWorkload);
		const memoryWorkload = (count: number) =>
			`6. memory per awake idle actor (${count.toLocaleString("en")} actors)`;
		if (system.memory) {
			const measure = system.memory.bind(system);
			await attempt("6. memory", async () => {
				// On a freshly started server: what earlier workloads left on the
				// heap (1,000 busy actors, thousands of calls in flight) would
				// otherwise be reused and hide what idle actors cost.
				await system.stop();
				await system.start();
				const budget = isTenon ? Number.POSITIVE_INFINITY : plan.memoryBudgetMs;
				const { perAwake, perSleeping, skipped = [] } = await measure(plan.memoryCounts, budget);
				const largest = plan.memoryCounts[plan.memoryCounts.length - 1];
				for (const [count, bytes] of perAwake) {
					out.bytes("memory", memoryWorkload(count), bytes, count === 100_000);
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
							"skipped: waking this many would take longer than the time budget",
						),
					);
				}
				if (perSleeping !== undefined) {
					out.bytes(
						"memory",
						`6. memory per sleeping actor (JS heap, ${largest?.toLocaleString("en")} actors)`,
						perSleeping,
						false,
					);
				}
			});
		} else out.unsupported("memory", memoryWorkload(plan.memoryCounts[0] as number));
		const fanoutWorkload = `7. broadcast to ${plan.connections.toLocaleString("en")} connections (last receipt)`;
		if (system.broadcast) {
			const run = system.broadcast.bind(system);
			await attempt(fanoutWorkload, async () => {
				out.latency("broadcast", fanoutWorkload, await run(plan.connections, plan.rounds));
			});
		} else out.unsupported("broadcast", fanoutWorkload);
	} finally {
		await system.stop();
	}
	return out.rows;
}

export async function coreSuite(options: CoreOptions): Promise<BenchRow[]> {
	const plan = options.quick ? QUICK : FULL;
	const all: Record<string, () => System> = {
		tenon: tenonSystem,
		workerd: workerdSystem,
		rivetkit: rivetkitSystem,
		restate: restateSystem,
		floor: floorSystem,
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
		console.error(`  ${system.name}...`);
		const started = performance.now();
		try {
			rows.push(...(await runSystem(system, plan, id === "tenon")));
			console.error(`  ${system.name}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
		} catch (error) {
			const message = error instanceof Error ? error.message : String(error);
			console.error(`  ${system.name} failed to start: ${message}`);
			rows.push(
				unsupportedRow(
					{ suite: "core", workload: "all", system: system.name, durability: system.durability },
					`failed to start: ${message.split("\n")[0]?.slice(0, 160)}`,
				),
			);
		}
	}
	if (wanted.includes("floor")) {
		rows.push({
			suite: "core",
			workload: "floor: one durable LMDB commit (write transaction + fsync)",
			system: "floor: bare LMDB",
			durability: "fsync",
			summary: summarize(await lmdbCommitFloor(options.quick ? 100 : 500)),
		});
	}
	return rows;
}
