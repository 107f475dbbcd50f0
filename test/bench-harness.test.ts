// Unit tests of the benchmark harness (no benchmark runs): the regression
// guard (`npm run bench -- --compare <baseline.json>`) on synthetic results,
// where rows are compared relative to their floor (or reference) measured in
// the same run, never as absolute times; the charts; the workload loops.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseCpuList } from "../bench/lib/affinity.js";
import { suiteChart } from "../bench/lib/chart.js";
import {
	type BenchResults,
	compareResults,
	confirmed,
	isRegression,
	rerunSelection,
} from "../bench/lib/compare.js";
import { evaluateGoals, goalsSection, goalsSummary } from "../bench/lib/goals.js";
import type { BenchRow } from "../bench/lib/report.js";
import { summarize } from "../bench/lib/stats.js";
import { forRange } from "../bench/lib/workloads.js";
import { durableWriter } from "../bench/servers/durable-write.js";

const TENON = "Tenon (lmdb)";
const FLOOR = "floor: bare node:http / ws echo";
const BROADCAST = "7. broadcast to 1,000 connections in 4 client processes (last receipt)";
const WARM = "1. warm action over a connection";
const CREATE = "3. create + first action (new key)";
const THROUGHPUT = "5. throughput: 1,000 actors, pipelined";
const MEMORY = "6. memory per awake idle actor (100,000 actors)";

function latency(workload: string, system: string, median: number): BenchRow {
	return { suite: "core", workload, system, durability: "", summary: summarize([median]) };
}

/**
 * One run. `machine` scales every time (a slower or busier machine);
 * `tenon` scales Tenon's rows on top of it (a change in Tenon).
 */
function results(options: {
	machine?: number;
	tenon?: Partial<Record<string, number>>;
}): BenchResults {
	const machine = options.machine ?? 1;
	const tenon = (workload: string) => (options.tenon?.[workload] ?? 1) * machine;
	return {
		rows: [
			latency(WARM, TENON, 0.5 * tenon(WARM)),
			latency(CREATE, TENON, 1.5 * tenon(CREATE)),
			{
				...latency(THROUGHPUT, TENON, 0),
				rate: 50_000 / tenon(THROUGHPUT),
				summary: summarize([1_000 / (50_000 / tenon(THROUGHPUT))]),
			},
			// Memory does not move with the machine's speed.
			{
				...latency(MEMORY, TENON, 0),
				bytes: 10_000 * (options.tenon?.[MEMORY] ?? 1),
				summary: summarize([10_000]),
			},
			latency(BROADCAST, TENON, 12 * tenon(BROADCAST)),
			latency(WARM, FLOOR, 0.05 * machine),
			latency(BROADCAST, FLOOR, 10 * machine),
		],
	};
}

const baseline = results({});

function statusOf(current: BenchResults, workload: string) {
	const row = compareResults(baseline, current).find(
		(comparison) => comparison.workload === workload && comparison.system === TENON,
	);
	expect(row, workload).toBeDefined();
	return row as NonNullable<typeof row>;
}

describe("bench --compare", () => {
	it("flags a row 30% worse than the baseline relative to its floor, on a machine twice as slow", () => {
		const row = statusOf(results({ machine: 2, tenon: { [BROADCAST]: 1.3 } }), BROADCAST);
		expect(row.reference).toBe("floor");
		expect(row.baseline).toBeCloseTo(1.2);
		expect(row.current).toBeCloseTo(1.56);
		expect(row.change).toBeCloseTo(0.3);
		expect(row.status).toBe("regressed");
	});

	it("passes a row 10% worse relative to its floor", () => {
		const row = statusOf(results({ machine: 2, tenon: { [BROADCAST]: 1.1 } }), BROADCAST);
		expect(row.change).toBeCloseTo(0.1);
		expect(row.status).toBe("ok");
	});

	it("passes a run where every time doubled with the machine (absolute times are not compared)", () => {
		const comparisons = compareResults(baseline, results({ machine: 2 }));
		expect(comparisons.filter(isRegression)).toEqual([]);
		expect(comparisons.every((row) => row.status === "ok")).toBe(true);
	});

	it("compares a row without a floor relative to Tenon's row 1: 30% flagged, 10% passes", () => {
		const worse = statusOf(results({ machine: 3, tenon: { [CREATE]: 1.3 } }), CREATE);
		expect(worse.reference).toBe("row 1");
		expect(worse.status).toBe("regressed");
		expect(statusOf(results({ machine: 3, tenon: { [CREATE]: 1.1 } }), CREATE).status).toBe("ok");
	});

	it("counts a throughput 30% lower (per operation, relative to row 1) as a regression", () => {
		expect(statusOf(results({ tenon: { [THROUGHPUT]: 1.3 } }), THROUGHPUT).status).toBe(
			"regressed",
		);
		expect(statusOf(results({ tenon: { [THROUGHPUT]: 1.1 } }), THROUGHPUT).status).toBe("ok");
	});

	it("compares memory without a floor in bytes: 30% more flagged, 10% passes", () => {
		const more = statusOf(results({ machine: 2, tenon: { [MEMORY]: 1.3 } }), MEMORY);
		expect(more.reference).toBe("bytes");
		expect(more.status).toBe("regressed");
		expect(statusOf(results({ tenon: { [MEMORY]: 1.1 } }), MEMORY).status).toBe("ok");
	});

	it("flags a row the baseline measured and this run could not", () => {
		const current = results({});
		current.rows = current.rows.map((row) =>
			row.workload === MEMORY && row.system === TENON
				? { ...row, unsupported: "failed: timed out after 420 s" }
				: row,
		);
		const row = statusOf(current, MEMORY);
		expect(row.status).toBe("failed");
		expect(isRegression(row)).toBe(true);
	});

	it("measures flagged rows again and counts only those worse twice (rows measured once are kept)", () => {
		const baseline = results({});
		const first = compareResults(baseline, results({ tenon: { [BROADCAST]: 1.3, [CREATE]: 1.3 } }));
		expect(first.filter(isRegression).map((row) => row.workload)).toEqual([CREATE, BROADCAST]);
		// Rows 3 and 7 go again, with row 1: the reference of rows without a floor.
		expect(rerunSelection(first.filter(isRegression))).toEqual({
			suites: ["core"],
			coreWorkloads: ["1", "3", "7"],
		});
		// Broadcast was the machine (fine the second time); create is worse again.
		const second = compareResults(baseline, results({ tenon: { [CREATE]: 1.3 } }));
		expect(confirmed(first, second).map((row) => row.workload)).toEqual([CREATE]);
		// A second run that did not measure a flagged row keeps it flagged.
		const partial = compareResults(baseline, { rows: results({}).rows.slice(0, 1) });
		expect(confirmed(first, partial).map((row) => row.workload)).toEqual([CREATE, BROADCAST]);
	});

	describe("npm run bench -- --compare <baseline> --current <results> (no measuring)", () => {
		const dir = mkdtempSync(join(tmpdir(), "tenon-bench-compare-"));
		afterAll(() => rmSync(dir, { recursive: true, force: true }));
		const root = join(import.meta.dirname, "..");
		const cli = (current: BenchResults) => {
			const baselineFile = join(dir, "baseline.json");
			const currentFile = join(dir, "current.json");
			writeFileSync(baselineFile, JSON.stringify(baseline));
			writeFileSync(currentFile, JSON.stringify(current));
			return spawnSync(
				process.execPath,
				[
					join(root, "node_modules", "tsx", "dist", "cli.mjs"),
					"--conditions=tenon-source",
					"bench/main.ts",
					"--compare",
					baselineFile,
					"--current",
					currentFile,
				],
				{ cwd: root, encoding: "utf8" },
			);
		};

		it("exits non-zero and names the row 30% worse relative to its floor", () => {
			const result = cli(results({ machine: 2, tenon: { [BROADCAST]: 1.3 } }));
			expect(result.status, result.stderr).toBe(1);
			expect(result.stdout).toContain(
				`| ${BROADCAST} | ${TENON} | floor | 1.20× | 1.56× | +30% | ❌ regressed |`,
			);
			expect(result.stdout).toContain("1 regression:");
			expect(result.stderr).toContain("more than 25% worse");
		});

		it("exits 0 for a row 10% worse", () => {
			const result = cli(results({ machine: 2, tenon: { [BROADCAST]: 1.1 } }));
			expect(result.status, result.stderr).toBe(0);
			expect(result.stdout).toContain("No regression");
		});
	});
});

describe("bench charts", () => {
	it("draws one bar per measured row, on a log axis when the values span orders of magnitude", () => {
		const rows = results({}).rows;
		const svg = suiteChart("core", [
			...rows,
			{ ...latency("2. stateless HTTP action, warm actor", "Restate", 0), unsupported: "n/a" },
		]) as string;
		expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
		expect(svg.match(/<rect x="270"/g)?.length).toBe(rows.length);
		// 0.05 ms to 12 ms: log; 10,000 bytes alone: linear.
		expect(svg).toContain("Latency, median (shorter is better) — log scale");
		expect(svg).toContain("Memory (shorter is better)</text>");
		expect(svg).not.toContain("Restate");
	});

	it("gives each of a suite's eight systems a color of its own", () => {
		// The core suite has eight: the eighth (the bare LMDB floor) took Tenon's blue from a
		// palette of seven (the run of 2026-11-27).
		const systems = Array.from({ length: 8 }, (_, i) => `system ${i}`);
		const svg = suiteChart(
			"core",
			systems.map((system) => latency("1. warm action over a connection", system, 0.3)),
		) as string;
		const legend = [
			...svg.matchAll(
				/<rect x="\d+(?:\.\d+)?" y="34" width="12" height="12" fill="(#[0-9a-f]{6})"/g,
			),
		];
		expect(legend.length).toBe(8);
		expect(new Set(legend.map((match) => match[1])).size).toBe(8);
	});
});

describe("issue 17's goals in a run's report", () => {
	const WORKERD = "Durable Objects (workerd)";
	const DURABLE_FLOOR = "durable floor: node:http / ws echo + one fdatasync";
	const HTTP = "2. stateless HTTP action, warm actor";
	const HTTP_RELAXED = "2b. stateless HTTP action, reply before the write is on disk (relaxed)";
	const BULK = "10,000 small rows in one transaction (round trip, durable)";
	const NATIVE = "SQLite, native, local disk (better-sqlite3)";
	const rate = (workload: string, perSecond: number): BenchRow => ({
		...latency(workload, TENON, 1_000 / perSecond),
		rate: perSecond,
	});
	const bytes = (workload: string, value: number): BenchRow => ({
		...latency(workload, TENON, 0),
		bytes: value,
	});
	/** A full run; `warm` is Tenon's row 1 in ms (workerd's is 0.29, the durable floor's 0.2). */
	const run = (warm: number): BenchRow[] => [
		latency(WARM, TENON, warm),
		latency(WARM, WORKERD, 0.29),
		latency(WARM, DURABLE_FLOOR, 0.2),
		latency(HTTP, TENON, 0.44),
		latency(HTTP, DURABLE_FLOOR, 0.3),
		latency(HTTP, FLOOR, 0.18),
		latency(HTTP_RELAXED, TENON, 0.24),
		rate(THROUGHPUT, 103_000),
		bytes(MEMORY, 3_700),
		latency(BROADCAST, TENON, 15.9),
		latency(BROADCAST, FLOOR, 14.6),
		{ ...latency(BULK, TENON, 13), suite: "sqlite" },
		{ ...latency(BULK, NATIVE, 10), suite: "sqlite" },
	];
	const status = (rows: BenchRow[]) =>
		evaluateGoals(rows).map((goal) => `${goal.row} ${goal.status}`);

	it("says which goals a run met and which it missed, from ratios within the run", () => {
		expect(status(run(0.254))).toEqual([
			"1 missed", // workerd / Tenon 1.14×, under 1.25
			"1 met", // 1.27× the durable floor
			"2 met",
			"2b met",
			"5 met",
			"6 met",
			"7 met",
			"SQLite met",
		]);
		expect(status(run(0.23))[0]).toBe("1 met"); // 1.26×
		const section = goalsSection(evaluateGoals(run(0.254)));
		expect(section).toContain(
			"| 1 | warm durable action: at least 1.25× faster than Durable Objects",
		);
		expect(section).toContain("workerd / Tenon 1.14× (290 µs against 254 µs");
		expect(section).toContain("**missed** ❌");
		expect(goalsSummary(evaluateGoals(run(0.254)))).toBe(
			"goals of issue 17: 7 met, 1 missed (row 1), 0 not measured",
		);
	});

	it("misses on the bound's wrong side, and never counts a failed or absent row as met", () => {
		const rows = run(0.254).map((row) => {
			if (row.workload === THROUGHPUT) return rate(THROUGHPUT, 99_000);
			if (row.workload === MEMORY) return bytes(MEMORY, 5_200);
			if (row.workload === BROADCAST && row.system === TENON)
				return latency(BROADCAST, TENON, 17.6); // 1.21× the floor
			return row;
		});
		expect(status(rows).slice(4, 7)).toEqual(["5 missed", "6 missed", "7 missed"]);
		// Row 6 failed (timed out), workerd did not run, no sqlite suite.
		const partial = run(0.254)
			.filter((row) => row.system !== WORKERD && row.suite !== "sqlite")
			.map((row) => (row.workload === MEMORY ? { ...row, unsupported: "failed: timed out" } : row));
		expect(status(partial)).toEqual([
			"1 not measured",
			"1 met",
			"2 met",
			"2b met",
			"5 met",
			"6 not measured",
			"7 met",
			"SQLite not measured",
		]);
	});

	it("leaves a quick run's rows (100 actors, 1,000 actors' memory) out, and prints no section without any goal", () => {
		const quick = [rate("5. throughput: 100 actors, pipelined", 40_000)];
		expect(status(quick)).toContain("5 not measured");
		expect(goalsSection(evaluateGoals(quick))).toBe("");
	});
});

describe("bench workload loops", () => {
	it("an aborted forRange starts no further call (a memory workload past its deadline kept waking actors while the broadcast row was measured)", async () => {
		const stop = new AbortController();
		let started = 0;
		const loop = forRange(
			0,
			1_000,
			4,
			async () => {
				started++;
				if (started === 10) stop.abort(new Error("timed out"));
				await new Promise((resolve) => setImmediate(resolve));
			},
			stop.signal,
		);
		await expect(loop).rejects.toThrow("timed out");
		// The calls in flight when it aborted finish; none starts after.
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(started).toBe(10);
	});
});

describe("the durable floor's write", () => {
	it("writes one 4 KiB page per call, in turn, to a file whose blocks exist from the start", () => {
		const dir = mkdtempSync(join(tmpdir(), "tenon-durable-floor-"));
		const path = join(dir, "log");
		const before = process.env.FLOOR_SYNC_FILE;
		try {
			process.env.FLOOR_SYNC_FILE = path;
			const write = durableWriter();
			expect(write).toBeDefined();
			expect(statSync(path).size).toBe(256 * 4096);
			for (let i = 0; i < 3; i++) write?.();
			const file = readFileSync(path);
			expect([0, 1, 2, 3].map((slot) => file.readUInt32LE(slot * 4096))).toEqual([
				0, 1, 2, 0x07070707,
			]);
			process.env.FLOOR_SYNC_FILE = "";
			expect(durableWriter()).toBeUndefined();
		} finally {
			if (before === undefined) delete process.env.FLOOR_SYNC_FILE;
			else process.env.FLOOR_SYNC_FILE = before;
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe("latency rows' pinning (bench/lib/affinity.ts)", () => {
	it("reads kernel CPU lists", () => {
		expect(parseCpuList("0")).toEqual([0]);
		expect(parseCpuList("0-3,8,10-11\n")).toEqual([0, 1, 2, 3, 8, 10, 11]);
	});

	it("pins the runner to its first CPU and the system to the others, then gives them all back", () => {
		const env = { ...process.env };
		delete env.TENON_BENCH_PIN;
		const probe = spawnSync(
			process.execPath,
			[
				"--import",
				"tsx",
				join(import.meta.dirname, "..", "bench", "fixtures", "affinity-probe.ts"),
			],
			{ encoding: "utf8", timeout: 60_000, env },
		);
		expect(probe.status, probe.stderr).toBe(0);
		const { unavailable, steps } = JSON.parse(probe.stdout.trim().split("\n").at(-1) as string);
		// This machine (and CI's) has taskset and two CPUs or more: the pinning must be tested.
		expect(unavailable).toBeNull();
		const before = parseCpuList(steps.before.runner);
		expect(parseCpuList(steps.pinned.runner)).toEqual([before[0]]);
		expect(parseCpuList(steps.pinned.system)).toEqual(before.slice(1));
		// Every CPU again, not only those the pinned runner could see (the bug of 2026-11-24).
		expect(steps.unpinned).toEqual(steps.before);
	});
});
