// `npm run bench [-- --quick] [-- --suite=name] [-- --systems=tenon,workerd]`:
// runs the benchmark suites, prints a markdown table and (full runs of
// everything) writes bench/results/<date>.{json,md}.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { machineInfo } from "./lib/machine.js";
import { type BenchRow, table, unsupportedRow } from "./lib/report.js";
import { agentSuite } from "./suites/agent.js";
import { clusterSuite } from "./suites/cluster.js";
import { coreSuite } from "./suites/core.js";
import { encodingsSuite } from "./suites/encodings.js";
import { hibernationSuite } from "./suites/hibernation.js";
import { sqliteSuite } from "./suites/sqlite.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const option = (name: string) =>
	args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = option("suite");
const systems = option("systems")?.split(",");
const resultsDir = join(import.meta.dirname, "results");

const suites: Record<
	string,
	(options: { quick: boolean; systems?: string[] }) => Promise<BenchRow[]>
> = {
	core: coreSuite,
	encodings: encodingsSuite,
	sqlite: sqliteSuite,
	cluster: clusterSuite,
	hibernation: hibernationSuite,
	agent: agentSuite,
};

const machine = machineInfo();
const rows: BenchRow[] = [];
const started = performance.now();
for (const [name, run] of Object.entries(suites)) {
	if (only && only !== name) continue;
	if (systems && name !== "core" && name !== "hibernation") continue;
	if (quick && name === "cluster") {
		console.error("cluster: skipped in quick runs (it starts several nodes on PostgreSQL)");
		continue;
	}
	console.error(`running ${name}${quick ? " (quick)" : ""}...`);
	try {
		rows.push(...(await run({ quick, ...(systems ? { systems } : {}) })));
	} catch (error) {
		// One broken suite must not throw away the others' results.
		const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
		console.error(`  ${name} failed: ${error instanceof Error ? error.stack : message}`);
		rows.push(
			unsupportedRow(
				{ suite: name, workload: "all", system: `${name} suite`, durability: "" },
				`failed: ${message}`,
			),
		);
	}
}
const minutes = ((performance.now() - started) / 60_000).toFixed(1);
const markdown = `# Tenon benchmark ${quick ? "(quick) " : ""}— ${machine.date}

Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}. Disk: ${machine.disk}. Load at start: ${machine.load}. Run took ${minutes} min.
Peers: ${
	Object.entries(machine.peers)
		.map(([name, version]) => `${name} ${version}`)
		.join(", ") || "none"
}.

${table(rows)}
`;
console.log(markdown);
if (!quick && !only && !systems) {
	mkdirSync(resultsDir, { recursive: true });
	const stamp = machine.date.replace(/[:.]/g, "-");
	writeFileSync(
		join(resultsDir, `${stamp}.json`),
		`${JSON.stringify({ machine, rows }, null, 2)}\n`,
	);
	writeFileSync(join(resultsDir, `${stamp}.md`), markdown);
}
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
