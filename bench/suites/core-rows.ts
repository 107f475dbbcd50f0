// What the core suite records per system: the rows (latency, rate, bytes,
// unsupported, failed) with Tenon's targets, and the sampling loop of the
// latency workloads.

import type { BenchRow } from "../lib/report.js";
import { unsupportedRow } from "../lib/report.js";
import { summarize, time } from "../lib/stats.js";
import type { System, WorkloadName } from "../systems/types.js";

/**
 * Absolute targets for Tenon: the first benchmark issue's (7), with those
 * issue 17 set again in its own terms: 100,000 actions/s for row 5, and
 * broadcast relative to the bare fan-out floor instead of 5 ms (which this
 * machine's floor itself takes twice over). Issue 17's goals relative to
 * other rows of the run are in the report's goals section (lib/goals.ts).
 */
const TARGETS: Partial<Record<WorkloadName, { median: number; text: string }>> = {
	warm: { median: 0.6, text: "<= 0.6 ms" },
	http: { median: 1, text: "<= 1 ms" },
	create: { median: 2, text: "<= 2 ms" },
	wake: { median: 2, text: "<= 2 ms" },
	throughput: { median: 1_000 / 100_000, text: ">= 100,000 /s" },
	memory: { median: 5_000, text: "<= 5 KB" },
} as const;

/** Up to `n` samples of `fn`, stopping early (after at least 20) when the budget is spent. */
export async function samples(
	n: number,
	budgetMs: number,
	fn: () => Promise<unknown>,
	signal: AbortSignal,
): Promise<number[]> {
	const out: number[] = [];
	const until = performance.now() + budgetMs;
	for (let i = 0; i < n; i++) {
		signal.throwIfAborted();
		out.push(await time(fn));
		if (i >= 19 && performance.now() > until) break;
	}
	return out;
}

/** The rows one system's run of the core suite produces (with Tenon's targets). */
export class Rows {
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
				name === "warmRelaxed" || name === "httpRelaxed"
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
		this.rows.push(
			unsupportedRow(
				{ suite: "core", workload, system: this.system.name, durability: this.system.durability },
				`failed: ${message.split("\n")[0]?.slice(0, 120)}`,
			),
		);
	}
}
