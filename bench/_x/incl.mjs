import { readdirSync, readFileSync } from "node:fs";

const dir = process.argv[2];
const filter = process.argv[3] ?? "";
const file = readdirSync(dir)
	.filter((f) => f.endsWith(".cpuprofile"))
	.map((f) => `${dir}/${f}`)[0];
const p = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const incl = new Map();
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
	const d = p.timeDeltas[i] ?? 0;
	total += d;
	const seen = new Set();
	let id = p.samples[i];
	while (id !== undefined) {
		const n = byId.get(id);
		const cf = n.callFrame;
		const k = `${cf.functionName || "(anon)"} ${cf.url.replace(/.*\//, "")}:${cf.lineNumber}`;
		if (!seen.has(k)) {
			seen.add(k);
			incl.set(k, (incl.get(k) ?? 0) + d);
		}
		id = parent.get(id);
	}
}
console.log(
	[...incl]
		.filter(([k]) => k.includes(filter))
		.sort((a, b) => b[1] - a[1])
		.slice(0, Number(process.argv[4] ?? 60))
		.map(([k, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}% ${k}`)
		.join("\n"),
);
