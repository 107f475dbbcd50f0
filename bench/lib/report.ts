// The benchmark's results: rows, and the markdown table that shows them.
import { ms, type Summary } from "./stats.js";

/** One measured row of the results table. */
export interface BenchRow {
	suite: string;
	workload: string;
	system: string;
	/** When the operation is durable (short; see durabilityDetail). */
	durability: string;
	/** The durability point in full, listed once per system under the table. */
	durabilityDetail?: string;
	summary: Summary;
	target?: { median: number; text: string };
	note?: string;
	/** For throughput workloads: operations per second (shown instead of latency). */
	rate?: number;
	/** For memory workloads: bytes (shown instead of latency). */
	bytes?: number;
	/** The workload has no equivalent on this system: why. */
	unsupported?: string;
}

const NONE: Summary = {
	n: 0,
	median: Number.NaN,
	p95: Number.NaN,
	p99: Number.NaN,
	min: Number.NaN,
	max: Number.NaN,
};

/** A row for a workload a system cannot run. */
export function unsupportedRow(
	base: Pick<BenchRow, "suite" | "workload" | "system" | "durability">,
	reason: string,
): BenchRow {
	return { ...base, summary: NONE, unsupported: reason };
}

/**
 * How many times better Tenon is than `row` on the same workload (> 1: Tenon
 * is faster / handles more / uses less), or "" when there is nothing to compare.
 */
function versusTenon(row: BenchRow, rows: readonly BenchRow[]): string {
	const tenon = rows.find((r) => r.workload === row.workload && r.system.startsWith("Tenon"));
	if (!tenon || tenon === row || row.unsupported) return "";
	let ratio: number;
	if (row.rate !== undefined && tenon.rate) ratio = tenon.rate / row.rate;
	else if (row.bytes !== undefined && tenon.bytes) {
		// Below the resolution of RSS: no meaningful ratio.
		if (tenon.bytes <= 0 || row.bytes <= 0) return "";
		ratio = row.bytes / tenon.bytes;
	} else ratio = row.summary.median / tenon.summary.median;
	if (!Number.isFinite(ratio)) return "";
	return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(2)}×`;
}

function targetCell(row: BenchRow): string {
	if (!row.target) return "";
	const value =
		row.bytes ?? (row.rate !== undefined ? 1_000 / row.rate : undefined) ?? row.summary.median;
	return `${row.target.text} ${value <= row.target.median ? "✅" : "❌"}`;
}

/** The markdown table, then the durability point of each system. */
export function table(rows: readonly BenchRow[]): string {
	const lines = [
		"| workload | system | durable when | median | p95 | n | target | vs Tenon (> 1: Tenon better) |",
		"| --- | --- | --- | --- | --- | --- | --- | --- |",
	];
	for (const row of rows) {
		const system = `${row.system}${row.note ? ` (${row.note})` : ""}`;
		const cells = [row.workload, system, row.durability];
		if (row.unsupported) {
			cells.push(`n/a: ${row.unsupported}`, "", "");
		} else if (row.bytes !== undefined) {
			cells.push(`${(row.bytes / 1024).toFixed(1)} KiB`, "", "");
		} else if (row.rate !== undefined) {
			cells.push(`${Math.round(row.rate).toLocaleString("en")} /s`, "", "");
		} else {
			cells.push(ms(row.summary.median), ms(row.summary.p95), String(row.summary.n));
		}
		cells.push(targetCell(row), versusTenon(row, rows));
		lines.push(`| ${cells.join(" | ")} |`);
	}
	const details = new Map<string, string>();
	for (const row of rows) {
		if (row.durabilityDetail && !details.has(row.system)) {
			details.set(row.system, row.durabilityDetail);
		}
	}
	if (details.size > 0) {
		lines.push("", "Durability points:", "");
		for (const [system, detail] of details) lines.push(`- **${system}**: ${detail}`);
	}
	return lines.join("\n");
}
