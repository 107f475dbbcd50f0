import { readdirSync, readFileSync } from "node:fs";

const dir = process.argv[2];
const file = readdirSync(dir)
	.filter((f) => f.endsWith(".cpuprofile"))
	.map((f) => `${dir}/${f}`)[0];
const p = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas;
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
	const n = byId.get(p.samples[i]);
	const d = dt[i] ?? 0;
	total += d;
	self.set(n, (self.get(n) ?? 0) + d);
}
const byFn = new Map();
const byFile = new Map();
for (const [n, t] of self) {
	const cf = n.callFrame;
	const url = cf.url.replace(/.*\/(packages|node_modules)\//, "$1/");
	const k = `${cf.functionName || "(anon)"} ${url}:${cf.lineNumber}`;
	byFn.set(k, (byFn.get(k) ?? 0) + t);
	const fk = url.includes("node_modules")
		? url.split("/").slice(0, 3).join("/")
		: url || cf.functionName;
	byFile.set(fk, (byFile.get(fk) ?? 0) + t);
}
const top = (m, n) =>
	[...m]
		.sort((a, b) => b[1] - a[1])
		.slice(0, n)
		.map(([k, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}% ${k}`)
		.join("\n");
console.log(
	`total ${(total / 1e6).toFixed(2)} s\n--- by file\n${top(byFile, 25)}\n--- by function\n${top(byFn, Number(process.argv[3] ?? 40))}`,
);
