// One SVG chart per suite, written next to the markdown results: horizontal
// bars of each workload's median, one bar per system. Plain SVG text, no
// browser and no dependency. Latencies, rates and memory get a section (and
// an axis) each; an axis is logarithmic when its values span more than 20×.
import type { BenchRow } from "./report.js";
import { ms } from "./stats.js";

const WIDTH = 960;
const LABEL_WIDTH = 270;
const VALUE_WIDTH = 90;
const BAR_HEIGHT = 14;
const BAR_GAP = 4;
const GROUP_GAP = 10;
const HEADER_HEIGHT = 18;
const PLOT_LEFT = LABEL_WIDTH;
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 10;
/** Colors for systems, in order of appearance (Tenon, being first, gets the first). */
/**
 * One color per system of a suite; the core suite has eight (the eighth, the
 * bare LMDB floor, was drawn in Tenon's blue when there were seven).
 */
const PALETTE = [
	"#2563eb",
	"#f97316",
	"#16a34a",
	"#a855f7",
	"#64748b",
	"#dc2626",
	"#0891b2",
	"#ca8a04",
	"#db2777",
	"#4d7c0f",
];

type Kind = "latency" | "rate" | "bytes";

const SECTION_TITLES: Record<Kind, string> = {
	latency: "Latency, median (shorter is better)",
	rate: "Throughput (longer is better)",
	bytes: "Memory (shorter is better)",
};

function kindOf(row: BenchRow): Kind {
	return row.rate !== undefined ? "rate" : row.bytes !== undefined ? "bytes" : "latency";
}

/** The row's value in the unit its axis is drawn in: ms, operations per second, KiB. */
function medianOf(row: BenchRow): number {
	return row.rate ?? (row.bytes !== undefined ? row.bytes / 1024 : row.summary.median);
}

function format(kind: Kind, value: number): string {
	switch (kind) {
		case "latency":
			return ms(value);
		case "rate":
			return `${Math.round(value).toLocaleString("en")} /s`;
		case "bytes":
			return value >= 1024 ? `${(value / 1024).toFixed(1)} MiB` : `${value.toFixed(1)} KiB`;
	}
}

/** An axis label: round numbers without trailing zeros (10 µs, 1 ms, 2 s; 0.1 KiB). */
function tickLabel(kind: Kind, value: number): string {
	const round = (n: number) => String(Number(n.toPrecision(3)));
	switch (kind) {
		case "latency":
			if (value === 0) return "0";
			if (value < 1) return `${round(value * 1000)} µs`;
			if (value < 1000) return `${round(value)} ms`;
			return `${round(value / 1000)} s`;
		case "rate":
			return `${Math.round(value).toLocaleString("en")} /s`;
		case "bytes":
			return value >= 1024 ? `${round(value / 1024)} MiB` : `${round(value)} KiB`;
	}
}

function escapeXml(text: string): string {
	return text
		.replace(/&/g, "&amp;")
		.replace(/</g, "&lt;")
		.replace(/>/g, "&gt;")
		.replace(/"/g, "&quot;");
}

function truncate(text: string, max: number): string {
	return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Maps values to x offsets in the plot; log when the values span more than 20×. */
export interface Scale {
	log: boolean;
	x(value: number): number;
	ticks: number[];
}

export function scaleFor(values: readonly number[]): Scale {
	const positive = values.filter((value) => value > 0);
	const max = Math.max(...positive);
	const min = Math.min(...positive);
	if (positive.length > 0 && max / min > 20) {
		const low = Math.floor(Math.log10(min));
		const high = Math.max(low + 1, Math.ceil(Math.log10(max)));
		const ticks = Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i));
		return {
			log: true,
			ticks,
			x: (value) => (value <= 0 ? 0 : ((Math.log10(value) - low) / (high - low)) * PLOT_WIDTH),
		};
	}
	// Linear from 0 to a round number above the largest value.
	const top = positive.length > 0 ? max : 1;
	const step = 10 ** Math.floor(Math.log10(top));
	const end = Math.ceil(top / step) * step;
	const ticks = Array.from({ length: Math.round(end / step) + 1 }, (_, i) => i * step);
	return { log: false, ticks, x: (value) => (Math.max(0, value) / end) * PLOT_WIDTH };
}

/**
 * The chart of one suite's measured rows (rows that did not run are left
 * out), or undefined when there is nothing to draw.
 */
export function suiteChart(title: string, rows: readonly BenchRow[]): string | undefined {
	const measured = rows.filter((row) => !row.unsupported && medianOf(row) > 0);
	if (measured.length === 0) return undefined;
	const systems = [...new Set(measured.map((row) => row.system))];
	const color = (system: string) => PALETTE[systems.indexOf(system) % PALETTE.length] as string;
	const parts: string[] = [];
	let y = 30;
	// Legend: one swatch per system.
	let legendX = 10;
	y += 4;
	for (const system of systems) {
		const label = truncate(system, 48);
		parts.push(
			`<rect x="${legendX}" y="${y}" width="12" height="12" fill="${color(system)}"/>`,
			`<text x="${legendX + 16}" y="${y + 10}" class="small">${escapeXml(label)}</text>`,
		);
		legendX += 16 + label.length * 6.2 + 18;
		if (legendX > WIDTH - 200) {
			legendX = 10;
			y += 18;
		}
	}
	y += 30;
	for (const kind of ["latency", "rate", "bytes"] as const) {
		const section = measured.filter((row) => kindOf(row) === kind);
		if (section.length === 0) continue;
		const scale = scaleFor(section.map(medianOf));
		parts.push(
			`<text x="10" y="${y}" class="section">${SECTION_TITLES[kind]}${scale.log ? " — log scale" : ""}</text>`,
		);
		y += 12;
		const axisY = y;
		const workloads = [...new Set(section.map((row) => row.workload))];
		const groupsHeight = workloads.reduce((height, workload) => {
			const bars = section.filter((row) => row.workload === workload).length;
			return height + HEADER_HEIGHT + bars * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP;
		}, 0);
		// Axis: ticks and grid lines across the section.
		for (const tick of scale.ticks) {
			const x = PLOT_LEFT + scale.x(tick);
			parts.push(
				`<line x1="${x.toFixed(1)}" y1="${axisY + 4}" x2="${x.toFixed(1)}" y2="${axisY + 8 + groupsHeight}" class="grid"/>`,
				`<text x="${x.toFixed(1)}" y="${axisY}" class="tick">${escapeXml(tickLabel(kind, tick))}</text>`,
			);
		}
		y += 10;
		for (const workload of workloads) {
			parts.push(`<text x="10" y="${y + 13}" class="workload">${escapeXml(workload)}</text>`);
			y += HEADER_HEIGHT;
			for (const row of section.filter((other) => other.workload === workload)) {
				const value = medianOf(row);
				const width = Math.max(1, scale.x(value));
				parts.push(
					// 40 characters fit the label column (44 ran past its left edge).
					`<text x="${PLOT_LEFT - 6}" y="${y + 11}" class="system">${escapeXml(truncate(row.system, 40))}</text>`,
					`<rect x="${PLOT_LEFT}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${color(row.system)}"><title>${escapeXml(`${row.workload} — ${row.system}: ${format(kind, value)}`)}</title></rect>`,
					`<text x="${(PLOT_LEFT + width + 4).toFixed(1)}" y="${y + 11}" class="value">${escapeXml(format(kind, value))}</text>`,
				);
				y += BAR_HEIGHT + BAR_GAP;
			}
			y += GROUP_GAP;
		}
		y += 20;
	}
	const height = Math.ceil(y);
	return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<style>
text { fill: #111827; font-size: 12px; }
.title { font-size: 16px; font-weight: 600; }
.section { font-size: 14px; font-weight: 600; }
.workload { font-weight: 600; }
.system { text-anchor: end; fill: #374151; }
.small, .value { font-size: 11px; }
.tick { font-size: 10px; text-anchor: middle; fill: #6b7280; }
.grid { stroke: #e5e7eb; stroke-width: 1; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="10" y="22" class="title">${escapeXml(title)}</text>
${parts.join("\n")}
</svg>
`;
}
