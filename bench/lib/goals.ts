// Issue 17's goals, read off one run's rows: every run says which it met,
// which it missed and which it did not measure (a filtered or quick run).
// Ratios are taken within the run, as the issue asks: absolute times move
// 2 to 7 times between runs on this machine.
import type { BenchRow } from "./report.js";

export interface GoalResult {
	/** The row of the core suite (or "SQLite"). */
	row: string;
	goal: string;
	/** What this run measured, with the numbers the ratio came from. */
	measured: string;
	status: "met" | "missed" | "not measured";
}

const TENON = "Tenon (lmdb)";
const WORKERD = "Durable Objects (workerd)";
const isBareFloor = (system: string) => system.startsWith("floor: bare");
const isDurableFloor = (system: string) => system.startsWith("durable floor");
const isNativeSqlite = (system: string) => system.startsWith("SQLite, native");

/** A measured row of `suite` whose workload starts with `workload`, of a system `system` matches. */
function find(
	rows: readonly BenchRow[],
	suite: string,
	workload: string,
	system: string | ((name: string) => boolean),
): BenchRow | undefined {
	const matches = typeof system === "string" ? (name: string) => name === system : system;
	return rows.find(
		(row) =>
			row.suite === suite &&
			row.workload.startsWith(workload) &&
			matches(row.system) &&
			!row.unsupported &&
			Number.isFinite(row.rate ?? row.bytes ?? row.summary.median),
	);
}

const micro = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`);

/** `a / b <= most` (or `>= least`), as a goal result. */
function ratioGoal(
	row: string,
	goal: string,
	a: BenchRow | undefined,
	b: BenchRow | undefined,
	bound: { most: number } | { least: number },
	describe: (ratio: number, a: BenchRow, b: BenchRow) => string,
	missing: string,
): GoalResult {
	if (a === undefined || b === undefined)
		return { row, goal, measured: `not in this run (${missing})`, status: "not measured" };
	const ratio = a.summary.median / b.summary.median;
	const met = "most" in bound ? ratio <= bound.most : ratio >= bound.least;
	return { row, goal, measured: describe(ratio, a, b), status: met ? "met" : "missed" };
}

/** A goal on one measured value (a rate, bytes), as a goal result. */
function valueGoal(
	row: string,
	goal: string,
	value: number | undefined,
	met: (value: number) => boolean,
	describe: (value: number) => string,
	missing: string,
): GoalResult {
	if (value === undefined)
		return { row, goal, measured: `not in this run (${missing})`, status: "not measured" };
	return { row, goal, measured: describe(value), status: met(value) ? "met" : "missed" };
}

/** Every goal of issue 17 against the rows of one run. */
export function evaluateGoals(rows: readonly BenchRow[]): GoalResult[] {
	const warm = "1. warm action over a connection";
	const tenonWarm = find(rows, "core", warm, TENON);
	const out: GoalResult[] = [
		ratioGoal(
			"1",
			"warm durable action: at least 1.25× faster than Durable Objects (workerd)",
			find(rows, "core", warm, WORKERD),
			tenonWarm,
			{ least: 1.25 },
			(ratio, w, t) =>
				`workerd / Tenon ${ratio.toFixed(2)}× (${micro(w.summary.median)} against ${micro(t.summary.median)}; one system after another here, \`head-to-head.ts\` interleaves them)`,
			"row 1 of Tenon and workerd",
		),
		ratioGoal(
			"1",
			"warm durable action: within 1.5× its durable floor (ws round trip + one flush)",
			tenonWarm,
			find(rows, "core", warm, isDurableFloor),
			{ most: 1.5 },
			(ratio, t, f) =>
				`${ratio.toFixed(2)}× (${micro(t.summary.median)} against ${micro(f.summary.median)})`,
			"row 1 of Tenon and the durable floor",
		),
		ratioGoal(
			"2",
			"stateless HTTP action, durable: within 1.5× the durable `node:http` floor",
			find(rows, "core", "2. ", TENON),
			find(rows, "core", "2. ", isDurableFloor),
			{ most: 1.5 },
			(ratio, t, f) =>
				`${ratio.toFixed(2)}× (${micro(t.summary.median)} against ${micro(f.summary.median)})`,
			"row 2 of Tenon and the durable floor",
		),
		ratioGoal(
			"2b",
			"stateless HTTP action, relaxed: within 1.5× the bare `node:http` floor",
			find(rows, "core", "2b. ", TENON),
			find(rows, "core", "2. ", isBareFloor),
			{ most: 1.5 },
			(ratio, t, f) =>
				`${ratio.toFixed(2)}× (${micro(t.summary.median)} against ${micro(f.summary.median)})`,
			"row 2b of Tenon and row 2 of the bare floor",
		),
	];

	const throughput = find(rows, "core", "5. throughput: 1,000 actors", TENON)?.rate;
	out.push(
		valueGoal(
			"5",
			"at least 100,000 durable actions/s on 1,000 actors",
			throughput,
			(rate) => rate >= 100_000,
			(rate) => `${Math.round(rate).toLocaleString("en")} /s`,
			"row 5 on 1,000 actors; quick runs use 100",
		),
	);
	const memory = find(
		rows,
		"core",
		"6. memory per awake idle actor (100,000 actors)",
		TENON,
	)?.bytes;
	out.push(
		valueGoal(
			"6",
			"at most 5 KB RSS per awake idle actor at 100,000 actors (the row finishes)",
			memory,
			(bytes) => bytes <= 5_000,
			(bytes) => `${(bytes / 1024).toFixed(1)} KiB`,
			"or it did not finish",
		),
	);

	const broadcast = find(rows, "core", "7. broadcast to 1,000 connections", TENON);
	out.push(
		ratioGoal(
			"7",
			"broadcast to 1,000 connections: within 1.2× the bare `ws` fan-out floor",
			broadcast,
			broadcast && find(rows, "core", broadcast.workload, isBareFloor),
			{ most: 1.2 },
			(ratio, t, f) =>
				`${ratio.toFixed(2)}× (last receipt ${micro(t.summary.median)} against ${micro(f.summary.median)})`,
			"row 7 of Tenon and the bare floor, 1,000 connections",
		),
	);

	const bulk = "10,000 small rows in one transaction";
	out.push(
		ratioGoal(
			"SQLite",
			"10,000 small rows in one durable transaction: within 1.5× native SQLite",
			find(rows, "sqlite", bulk, TENON),
			find(rows, "sqlite", bulk, isNativeSqlite),
			{ most: 1.5 },
			(ratio, t, n) =>
				`${ratio.toFixed(2)}× (${micro(t.summary.median)} against better-sqlite3's ${micro(n.summary.median)})`,
			"the sqlite suite with better-sqlite3",
		),
	);
	return out;
}

/** The goals as a markdown section; empty when the run measured none of them. */
export function goalsSection(results: readonly GoalResult[]): string {
	if (results.every((result) => result.status === "not measured")) return "";
	const mark = { met: "met ✅", missed: "**missed** ❌", "not measured": "not measured" };
	const lines = [
		"## Issue 17's goals in this run",
		"",
		"| row | goal | this run | status |",
		"| --- | --- | --- | --- |",
		...results.map((r) => `| ${r.row} | ${r.goal} | ${r.measured} | ${mark[r.status]} |`),
	];
	return lines.join("\n");
}

/** One line for the progress output: how many goals this run met, missed and left out. */
export function goalsSummary(results: readonly GoalResult[]): string {
	const count = (status: GoalResult["status"]) =>
		results.filter((result) => result.status === status).length;
	const missed = results.filter((result) => result.status === "missed");
	return `goals of issue 17: ${count("met")} met, ${count("missed")} missed${
		missed.length > 0 ? ` (${missed.map((r) => `row ${r.row}`).join(", ")})` : ""
	}, ${count("not measured")} not measured`;
}
