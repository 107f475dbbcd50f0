// `npm run bench [-- --quick] [-- --suite=name] [-- --systems=tenon,workerd] [-- --workloads=http,5]
//   [-- --save] [-- --compare <baseline.json> [--current <results.json>] [--threshold=25] [--no-confirm]]`:
// runs the benchmark suites, prints a markdown table, writes
// bench/results/<date>.{json,md} and <date>-<suite>.svg (full runs, or any
// run with --save), and with --compare flags rows that got worse than a
// saved run relative to their floors. With --current, compares two saved
// runs without measuring anything.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { pinUnavailable } from "./lib/affinity.js";
import { suiteChart } from "./lib/chart.js";
import {
	type BenchResults,
	compareResults,
	comparisonReport,
	confirmed,
	isRegression,
	REGRESSION_THRESHOLD,
	type RowComparison,
	rerunSelection,
} from "./lib/compare.js";
import { evaluateGoals, goalsSection, goalsSummary } from "./lib/goals.js";
import { machineInfo } from "./lib/machine.js";
import { step } from "./lib/progress.js";
import { type BenchRow, table, unsupportedRow } from "./lib/report.js";
import { agentSuite } from "./suites/agent.js";
import { clusterSuite } from "./suites/cluster.js";
import { coreSuite } from "./suites/core.js";
import { encodingsSuite } from "./suites/encodings.js";
import { hibernationSuite } from "./suites/hibernation.js";
import { sqliteSuite } from "./suites/sqlite.js";
import { yjsSuite } from "./suites/yjs.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
/** `--name=value` or `--name value`. */
const option = (name: string): string | undefined => {
	const inline = args.find((arg) => arg.startsWith(`--${name}=`));
	if (inline) return inline.slice(name.length + 3);
	const at = args.indexOf(`--${name}`);
	return at === -1 ? undefined : args[at + 1];
};
const only = option("suite");
const systems = option("systems")?.split(",");
/**
 * Core workloads by short name or row number (`--workloads=warm,http` or `--workloads=1,3`;
 * 1 also selects 1b and 1c; see bench/suites/core.ts); the other suites ignore it.
 */
const workloads = option("workloads")?.split(",");
const baselineFile = option("compare");
const currentFile = option("current");
/** `--threshold=<percent>`: how much worse a row may get before --compare flags it (default 25). */
const threshold =
	option("threshold") === undefined ? REGRESSION_THRESHOLD : Number(option("threshold")) / 100;
if (!(threshold > 0))
	throw new Error("--threshold takes a percentage above 0, e.g. --threshold=25");
const resultsDir = join(import.meta.dirname, "results");

function readResults(file: string): BenchResults {
	const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<BenchResults>;
	if (!Array.isArray(parsed.rows))
		throw new Error(`${file}: not a benchmark results file (no rows)`);
	return parsed as BenchResults;
}

/**
 * Prints the comparison and sets a failing exit code when a row regressed.
 * With `rerun`, flagged rows are measured once more first, and only those
 * worse again count (`--no-confirm`: the first run decides).
 */
async function compare(
	baseline: BenchResults,
	current: BenchResults,
	rerun?: (flagged: RowComparison[]) => Promise<BenchRow[]>,
): Promise<void> {
	const comparisons = compareResults(baseline, current, threshold);
	console.log(comparisonReport(comparisons, basename(baselineFile as string), threshold));
	let regressions = comparisons.filter(isRegression);
	if (regressions.length > 0 && rerun !== undefined) {
		console.error(
			`${regressions.length} row(s) flagged: measuring their suites again to confirm (the machine moves rows by more than the threshold)`,
		);
		const again = compareResults(baseline, { rows: await rerun(regressions) }, threshold);
		const kept = confirmed(regressions, again);
		console.log(
			`\nMeasured again: ${regressions.length - kept.length} of ${regressions.length} flagged row(s) within the threshold the second time (not counted)${kept.length > 0 ? `; confirmed: ${kept.map((row) => `${row.workload} (${row.system})`).join("; ")}` : ""}.`,
		);
		regressions = kept;
	}
	if (regressions.length > 0) {
		console.error(
			`regression: ${regressions.length} row(s) more than ${Math.round(threshold * 100)}% worse than ${baselineFile} relative to their floors (or their reference)`,
		);
		process.exitCode = 1;
	}
}

if (currentFile !== undefined) {
	if (baselineFile === undefined) throw new Error("--current needs --compare <baseline.json>");
	await compare(readResults(baselineFile), readResults(currentFile));
	process.exit();
}

const suites: Record<
	string,
	(options: { quick: boolean; systems?: string[]; workloads?: string[] }) => Promise<BenchRow[]>
> = {
	core: coreSuite,
	encodings: encodingsSuite,
	sqlite: sqliteSuite,
	cluster: clusterSuite,
	hibernation: hibernationSuite,
	agent: agentSuite,
	yjs: yjsSuite,
};

/** Runs the suites the options select (`names`: only these), in order; a suite that throws gives a failed row. */
async function runSuites(
	names?: readonly string[],
	coreWorkloads = workloads,
): Promise<BenchRow[]> {
	const out: BenchRow[] = [];
	for (const [name, run] of Object.entries(suites)) {
		if (only && only !== name) continue;
		if (names && !names.includes(name)) continue;
		if (systems && name !== "core" && name !== "hibernation") continue;
		if (workloads && name !== "core") continue;
		if (quick && name === "cluster") {
			console.error("cluster: skipped in quick runs (it starts several nodes on PostgreSQL)");
			continue;
		}
		const progress = step(`${name}${quick ? " (quick)" : ""}`);
		try {
			out.push(
				...(await run({
					quick,
					...(systems ? { systems } : {}),
					...(coreWorkloads && name === "core" ? { workloads: coreWorkloads } : {}),
				})),
			);
			progress.done("done");
		} catch (error) {
			// One broken suite must not throw away the others' results.
			const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
			progress.done(`failed: ${error instanceof Error ? error.stack : message}`);
			out.push(
				unsupportedRow(
					{ suite: name, workload: "all", system: `${name} suite`, durability: "" },
					`failed: ${message}`,
				),
			);
		}
	}
	return out;
}

const machine = machineInfo();
const started = performance.now();
const rows = await runSuites();
const minutes = ((performance.now() - started) / 60_000).toFixed(1);
const goals = evaluateGoals(rows);
const goalsText = goalsSection(goals);
const title = `Tenon benchmark ${quick ? "(quick) " : ""}— ${machine.date}`;
const markdown = `# ${title}

Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}. Disk: ${machine.disk}. Load at start: ${machine.load}. Run took ${minutes} min. Core rows 1 to 4 and hibernation's H2: ${pinUnavailable() === undefined ? "the runner on one CPU, each system on the others (taskset)" : `not pinned (${pinUnavailable()}): placement moves them`}.
Peers: ${
	Object.entries(machine.peers)
		.map(([name, version]) => `${name} ${version}`)
		.join(", ") || "none"
}.

${table(rows)}
${goalsText === "" ? "" : `\n${goalsText}\n`}`;
console.log(markdown);
if (goalsText !== "") console.error(goalsSummary(goals));
if ((!quick && !only && !systems && !workloads) || args.includes("--save")) {
	mkdirSync(resultsDir, { recursive: true });
	const stamp = machine.date.replace(/[:.]/g, "-");
	const results = { machine, options: { quick, suite: only, systems, workloads }, rows, goals };
	writeFileSync(join(resultsDir, `${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
	writeFileSync(join(resultsDir, `${stamp}.md`), markdown);
	for (const suite of new Set(rows.map((row) => row.suite))) {
		const svg = suiteChart(
			`${suite} — ${title}`,
			rows.filter((row) => row.suite === suite),
		);
		if (svg) writeFileSync(join(resultsDir, `${stamp}-${suite}.svg`), svg);
	}
	console.error(`results: bench/results/${stamp}.json, .md and one .svg per suite`);
}
if (baselineFile !== undefined)
	await compare(
		readResults(baselineFile),
		{ machine, rows },
		args.includes("--no-confirm")
			? undefined
			: (flagged) => {
					const selection = rerunSelection(flagged);
					return runSuites(selection.suites, workloads ?? selection.coreWorkloads);
				},
	);
// A peer that fails is reported in the table; Tenon or the floor failing means
// the harness (or Tenon) is broken, which the smoke run in `npm test` must see.
const broken = rows.filter(
	(row) => row.unsupported?.startsWith("failed") && /^(Tenon|floor|\w+ suite)/.test(row.system),
);
if (broken.length > 0) {
	console.error(`failed: ${broken.map((row) => `${row.system}: ${row.workload}`).join("; ")}`);
	process.exitCode = 1;
}
// Calls a workload gave up on (a peer past its deadline) can leave a peer
// client retrying with its own timers; the run is over, so leave now rather
// than wait for them. Output to a pipe or file is written synchronously.
process.exit();
