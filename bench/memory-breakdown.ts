// Where the resident memory of awake idle actors goes: starts the bench's
// Tenon server (bundled, as row 6 does), wakes idle actors with the very
// request row 6 sends (64 in flight), and after each count prints, per
// actor, the growth of RSS split into the JS heap (used, and what V8 holds
// for it), memory outside the heap (external, array buffers) and the
// kernel's anonymous and file-backed pages.
//   npx tsx --conditions=tenon-source bench/memory-breakdown.ts [count,count,...]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IDLE_WAKE_CONCURRENCY, idleKey, idleTouchReplay } from "./lib/idle-touch.js";
import { startBundled } from "./lib/process.js";
import { forRange } from "./lib/workloads.js";

interface Detail {
	usage: NodeJS.MemoryUsage;
	spaces: { name: string; size: number; used: number; physical: number }[];
	smaps: Record<string, number>;
	rssAnon: number;
	rssFile: number;
}

const counts = (process.argv[2] ?? "1000,10000,100000").split(",").map(Number);
const dataDir = mkdtempSync(join(tmpdir(), "tenon-breakdown-"));
const server = await startBundled(
	join(import.meta.dirname, "servers", "tenon.ts"),
	{ TENON_DATA_DIR: dataDir, TENON_LOG_LEVEL: "error" },
	// BREAKDOWN_NODE_ARGS: V8 flags to try on the server (a diagnosis, not what row 6 runs).
	["--expose-gc", ...(process.env.BREAKDOWN_NODE_ARGS?.split(" ").filter(Boolean) ?? [])],
);
const probe = /MEMORY (\S+)/.exec(server.output)?.[1] ?? "";
const detail = async (query = ""): Promise<Detail> =>
	(await (await fetch(`${probe}/memory-detail${query}`)).json()) as Detail;
const touch = await idleTouchReplay(server.url);

const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;
function report(count: number, base: Detail, now: Detail, when = ""): void {
	const per = (a: number, b: number) => kib((a - b) / count);
	const rows: [string, string][] = [
		["rss", per(now.usage.rss, base.usage.rss)],
		["  anonymous", per(now.rssAnon, base.rssAnon)],
		["  file-backed", per(now.rssFile, base.rssFile)],
		["heap used", per(now.usage.heapUsed, base.usage.heapUsed)],
		["heap total (V8 holds)", per(now.usage.heapTotal, base.usage.heapTotal)],
		["external", per(now.usage.external, base.usage.external)],
		["  array buffers", per(now.usage.arrayBuffers, base.usage.arrayBuffers)],
	];
	for (const space of now.spaces) {
		const before = base.spaces.find((s) => s.name === space.name);
		rows.push([
			`  ${space.name} (physical / used)`,
			`${per(space.physical, before?.physical ?? 0)} / ${per(space.used, before?.used ?? 0)}`,
		]);
	}
	console.log(`\n${count.toLocaleString("en")} awake idle actors${when}, growth per actor:`);
	for (const [name, value] of rows) console.log(`${name.padEnd(40)} ${value}`);
}

try {
	const base = await detail();
	let woken = 0;
	for (const count of counts) {
		const started = performance.now();
		await forRange(woken, count, IDLE_WAKE_CONCURRENCY, (i) => touch.send(idleKey(i)));
		console.error(
			`woke ${count - woken} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
		);
		woken = count;
		await new Promise((resolve) => setTimeout(resolve, 500));
		report(count, base, await detail());
	}
	// What of it is V8 keeping pages it could give back: idle for a while (V8's
	// memory reducer runs on idle), then its most thorough collection.
	const last = counts[counts.length - 1] ?? 0;
	await new Promise((resolve) => setTimeout(resolve, 15_000));
	report(last, base, await detail(), " (15 s idle)");
	report(last, base, await detail("?gc=last-resort"), " (a last-resort GC)");
} finally {
	touch.close();
	await server.stop();
	rmSync(dataDir, { recursive: true, force: true });
}
