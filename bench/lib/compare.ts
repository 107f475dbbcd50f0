// The regression guard: `npm run bench -- --compare <baseline.json>` sets the
// run against a saved one. Absolute times move with the machine (another
// process, a slower disk, a different VM), so each Tenon row is first divided
// by a reference measured in the same run, and those ratios are compared.
import type { BenchRow } from "./report.js";

/** A results file, as full runs write it to bench/results/<date>.json. */
export interface BenchResults {
	machine?: { date?: string; cpu?: string; cores?: number; load?: number };
	rows: BenchRow[];
}

/** How much worse (relative to its reference) a row may get before it is flagged: 25%. */
export const REGRESSION_THRESHOLD = 0.25;

/** The row every row without a floor of its own is divided by: Tenon's warm action (core suite). */
const ROW_ONE = "1. warm action over a connection";

/** What a row's value is divided by, in the same run. */
export type Reference =
	/** The floor row of the same workload (e.g. the bare ws fan-out for broadcast). */
	| "floor"
	/** Tenon's row 1 (warm durable action): cancels the machine's speed and its disk's. */
	| "row 1"
	/** Memory without a floor: bytes do not move with CPU speed or load; compared as measured. */
	| "bytes";

export interface RowComparison {
	suite: string;
	workload: string;
	system: string;
	reference?: Reference;
	/** The row over its reference, in the baseline and now (higher is worse). */
	baseline?: number;
	current?: number;
	/** current / baseline - 1: +0.3 is 30% worse relative to the reference. */
	change?: number;
	status: "ok" | "regressed" | "failed" | "new" | "not run" | "no reference";
	/** Why a row is not compared, or what failed. */
	detail?: string;
}

const key = (row: Pick<BenchRow, "suite" | "workload" | "system">) =>
	`${row.suite}\u0000${row.workload}\u0000${row.system}`;

/** The row's cost, where higher is worse: ms for latencies, ms per operation for rates, bytes. */
function cost(row: BenchRow): number | undefined {
	if (row.unsupported) return undefined;
	const value =
		row.rate !== undefined
			? 1_000 / row.rate
			: row.bytes !== undefined
				? row.bytes
				: row.summary.median;
	return Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * The row divided by its reference in the same run: the floor row of the
 * same workload when there is one, else (memory) its bytes, else Tenon's
 * row 1. Undefined when the run has no reference for it.
 */
export function relativeCost(
	row: BenchRow,
	run: readonly BenchRow[],
): { value: number; reference: Reference } | undefined {
	const value = cost(row);
	if (value === undefined) return undefined;
	const floor = run.find(
		(other) =>
			other.suite === row.suite &&
			other.workload === row.workload &&
			other.system.startsWith("floor") &&
			cost(other) !== undefined,
	);
	if (floor) return { value: value / (cost(floor) as number), reference: "floor" };
	if (row.bytes !== undefined) return { value, reference: "bytes" };
	const rowOne = run.find(
		(other) =>
			other.suite === "core" && other.workload === ROW_ONE && other.system.startsWith("Tenon"),
	);
	const rowOneCost = rowOne ? cost(rowOne) : undefined;
	if (rowOneCost === undefined) return undefined;
	return { value: value / rowOneCost, reference: "row 1" };
}

/**
 * Compares every Tenon row of `current` with the same row (suite, workload,
 * system) of `baseline`, each relative to its reference in its own run. A row
 * more than `threshold` worse is "regressed"; a row the baseline measured and
 * this run could not (it failed, or was skipped) is "failed". Rows of one run
 * only are listed, never flagged.
 */
export function compareResults(
	baseline: BenchResults,
	current: BenchResults,
	threshold = REGRESSION_THRESHOLD,
): RowComparison[] {
	const tenon = (row: BenchRow) => row.system.startsWith("Tenon") && row.workload !== "all";
	const before = new Map(baseline.rows.filter(tenon).map((row) => [key(row), row]));
	const out: RowComparison[] = [];
	for (const row of current.rows.filter(tenon)) {
		const base = { suite: row.suite, workload: row.workload, system: row.system };
		const old = before.get(key(row));
		before.delete(key(row));
		if (!old) {
			out.push({ ...base, status: "new" });
			continue;
		}
		const then = relativeCost(old, baseline.rows);
		if (!then) {
			out.push({ ...base, status: "no reference", detail: "not measured in the baseline" });
			continue;
		}
		if (row.unsupported) {
			out.push({ ...base, status: "failed", baseline: then.value, detail: row.unsupported });
			continue;
		}
		const now = relativeCost(row, current.rows);
		if (!now || now.reference !== then.reference) {
			out.push({
				...base,
				status: "no reference",
				detail: now ? "measured against another reference" : "no reference row in this run",
			});
			continue;
		}
		const change = now.value / then.value - 1;
		out.push({
			...base,
			reference: now.reference,
			baseline: then.value,
			current: now.value,
			change,
			status: change > threshold ? "regressed" : "ok",
		});
	}
	for (const old of before.values()) {
		out.push({ suite: old.suite, workload: old.workload, system: old.system, status: "not run" });
	}
	return out;
}

/** True when a comparison should fail the run. */
export function isRegression(comparison: RowComparison): boolean {
	return comparison.status === "regressed" || comparison.status === "failed";
}

function ratioCell(value: number | undefined, reference: Reference | undefined): string {
	if (value === undefined) return "";
	if (reference === "bytes") return `${(value / 1024).toFixed(1)} KiB`;
	return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;
}

/** The comparison as markdown: what was compared against what, then one line per row. */
export function comparisonReport(
	comparisons: readonly RowComparison[],
	baselineName: string,
	threshold = REGRESSION_THRESHOLD,
): string {
	const flagged = comparisons.filter(isRegression);
	const lines = [
		`## Compared with ${baselineName}`,
		"",
		`Each Tenon row over its reference in the same run: the floor of the same workload, else Tenon's row 1 of the core suite (warm durable action); memory without a floor in bytes, as measured. Flagged: more than ${Math.round(threshold * 100)}% worse than in the baseline, or no longer measured.`,
		"",
		"| workload | system | reference | baseline | now | change | |",
		"| --- | --- | --- | --- | --- | --- | --- |",
	];
	for (const row of comparisons) {
		const change =
			row.change === undefined
				? ""
				: `${row.change >= 0 ? "+" : ""}${(row.change * 100).toFixed(0)}%`;
		const verdict =
			row.status === "regressed"
				? "❌ regressed"
				: row.status === "failed"
					? `❌ ${row.detail ?? "failed"}`
					: row.status === "ok"
						? "✅"
						: `${row.status}${row.detail ? `: ${row.detail}` : ""}`;
		lines.push(
			`| ${row.workload} | ${row.system} | ${row.reference ?? ""} | ${ratioCell(row.baseline, row.reference)} | ${ratioCell(row.current, row.reference)} | ${change} | ${verdict} |`,
		);
	}
	lines.push(
		"",
		flagged.length === 0
			? `No regression: every compared row is within ${Math.round(threshold * 100)}% of the baseline.`
			: `${flagged.length} regression${flagged.length === 1 ? "" : "s"}: ${flagged.map((row) => `${row.workload} (${row.system})`).join("; ")}.`,
	);
	return lines.join("\n");
}

/**
 * What to measure again to confirm `flagged` rows (see {@link confirmed}):
 * their suites, and of the core suite their rows (by number, `1b` as `1`)
 * and always row 1, the reference of rows without a floor.
 */
export function rerunSelection(flagged: readonly RowComparison[]): {
	suites: string[];
	coreWorkloads: string[];
} {
	const suites = new Set<string>(["core"]);
	const coreWorkloads = new Set<string>(["1"]);
	for (const row of flagged) {
		suites.add(row.suite);
		const number = /^(\d+)[a-z]?\. /.exec(row.workload)?.[1];
		if (row.suite === "core" && number !== undefined) coreWorkloads.add(number);
	}
	return { suites: [...suites], coreWorkloads: [...coreWorkloads] };
}

/**
 * The rows of `first` that a second run confirms: flagged again, or not
 * measured by it. On this shared machine two runs of the same code differ by
 * more than the threshold on some rows; one that is worse only once was the
 * machine.
 */
export function confirmed(
	first: readonly RowComparison[],
	second: readonly RowComparison[],
): RowComparison[] {
	const again = new Map(second.map((row) => [key(row), row]));
	return first.filter((row) => {
		if (!isRegression(row)) return false;
		const next = again.get(key(row));
		return next === undefined || next.status === "not run" || isRegression(next);
	});
}
