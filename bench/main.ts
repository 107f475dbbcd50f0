// `npm run bench [-- --quick] [-- --suite=name]`: runs the benchmark suites,
// prints a markdown table and writes bench/results/<date>.{json,md}.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { machineInfo } from "./lib/machine.js";
import { ms } from "./lib/stats.js";
import { clusterSuite } from "./suites/cluster.js";
import { coreSuite } from "./suites/core.js";
import { type BenchRow, sqliteSuite } from "./suites/sqlite.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.find((arg) => arg.startsWith("--suite="))?.slice("--suite=".length);
const resultsDir = join(import.meta.dirname, "results");

const suites: Record<string, (options: { quick: boolean }) => Promise<BenchRow[]>> = {
	core: coreSuite,
	sqlite: sqliteSuite,
	cluster: clusterSuite,
};

/** The markdown table, with each system's median as a ratio of Tenon's for the same workload. */
function table(rows: BenchRow[]): string {
	const lines = [
		"| workload | system | durability point | median | p95 | n | target | vs Tenon |",
		"| --- | --- | --- | --- | --- | --- | --- | --- |",
	];
	for (const row of rows) {
		const tenon = rows.find((r) => r.workload === row.workload && r.system.startsWith("Tenon"));
		const ratio =
			tenon && tenon !== row ? `${(row.summary.median / tenon.summary.median).toFixed(2)}×` : "";
		const target = row.target
			? `${row.target.text} ${row.summary.median <= row.target.median ? "✅" : "❌"}`
			: "";
		const note = row.note ? ` (${row.note})` : "";
		if (row.bytes !== undefined) {
			const tenonBytes = tenon?.bytes;
			const bytesRatio =
				tenon && tenon !== row && tenonBytes ? `${(row.bytes / tenonBytes).toFixed(2)}×` : "";
			const met = row.target
				? `${row.target.text} ${row.bytes <= row.target.median ? "✅" : "❌"}`
				: "";
			lines.push(
				`| ${row.workload} | ${row.system}${note} | ${row.durability} | ${(row.bytes / 1024).toFixed(1)} KiB |  |  | ${met} | ${bytesRatio} |`,
			);
			continue;
		}
		if (row.rate !== undefined) {
			const tenonRate = tenon?.rate;
			const rateRatio =
				tenon && tenon !== row && tenonRate ? `${(row.rate / tenonRate).toFixed(2)}×` : "";
			const rateTarget = row.target
				? `${row.target.text} ${1_000 / row.rate <= row.target.median ? "✅" : "❌"}`
				: "";
			lines.push(
				`| ${row.workload} | ${row.system}${note} | ${row.durability} | ${Math.round(row.rate).toLocaleString("en")} /s |  |  | ${rateTarget} | ${rateRatio} |`,
			);
			continue;
		}
		lines.push(
			`| ${row.workload} | ${row.system}${note} | ${row.durability} | ${ms(row.summary.median)} | ${ms(row.summary.p95)} | ${row.summary.n} | ${target} | ${ratio} |`,
		);
	}
	return lines.join("\n");
}

const machine = machineInfo();
const rows: BenchRow[] = [];
for (const [name, run] of Object.entries(suites)) {
	if (only && only !== name) continue;
	console.error(`running ${name}${quick ? " (quick)" : ""}...`);
	rows.push(...(await run({ quick })));
}
const markdown = `# Tenon benchmark ${quick ? "(quick) " : ""}— ${machine.date}

Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}. Disk: ${machine.disk}.

${table(rows)}
`;
console.log(markdown);
if (!quick) {
	mkdirSync(resultsDir, { recursive: true });
	const stamp = machine.date.replace(/[:.]/g, "-");
	writeFileSync(
		join(resultsDir, `${stamp}.json`),
		`${JSON.stringify({ machine, rows }, null, 2)}\n`,
	);
	writeFileSync(join(resultsDir, `${stamp}.md`), markdown);
}
