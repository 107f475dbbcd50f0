// Row 1 (warm durable action over a connection) for several systems at once,
// in short alternating blocks on servers that all run side by side, so the
// load of a shared machine and its disk hits every system alike. The
// sequential core suite measures one system after the other, minutes apart;
// on this 2-core VM the cost of a flush moved 5x within such a run.
//
//   npx tsx --conditions=tenon-source bench/warm-ab.ts [blocks] [systems]
//   systems: comma-separated of tenon, tenon-txn, tenon-relaxed, workerd, floor, floor-commit
//   (default all five). floor-commit is the core suite's durable floor: the
//   floor's WebSocket echo server making one 4 KiB write and one fdatasync of
//   a preallocated file before it answers: the round trip plus one durable
//   commit of the commit log's kind.
import { floorSystem } from "./systems/floor.js";
import { tenonSystem } from "./systems/tenon.js";
import type { Caller, System } from "./systems/types.js";
import { workerdSystem } from "./systems/workerd.js";

const blocks = Number(process.argv[2] ?? 40);
const wanted = (process.argv[3] ?? "tenon,tenon-txn,workerd,floor,floor-commit").split(",");
const BLOCK = 25;
const makers: Record<string, () => System> = {
	tenon: () => tenonSystem(),
	"tenon-txn": () => tenonSystem({ commitLog: false }),
	// Tenon's relaxed counter: the same call without waiting for the disk.
	"tenon-relaxed": () => {
		const system = tenonSystem();
		return { ...system, name: "Tenon (relaxed)", warmConnection: system.warmRelaxed };
	},
	workerd: workerdSystem,
	floor: floorSystem,
	"floor-commit": () => floorSystem({ durable: true }),
};
const systems = wanted.map((id) => {
	const make = makers[id];
	if (!make) throw new Error(`unknown system ${id}`);
	return { id, system: make(), caller: undefined as Caller | undefined, samples: [] as number[] };
});
for (const entry of systems) {
	await entry.system.start();
	entry.caller = await (entry.system.warmConnection as (key: string) => Promise<Caller>).call(
		entry.system,
		"ab",
	);
	for (let i = 0; i < 50; i++) await entry.caller.call();
}
for (let block = 0; block < blocks; block++) {
	for (const entry of systems) {
		for (let i = 0; i < BLOCK; i++) {
			const start = performance.now();
			await (entry.caller as Caller).call();
			entry.samples.push(performance.now() - start);
		}
	}
}
const median = (values: number[]) =>
	[...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const p95 = (values: number[]) =>
	[...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)] as number;
const tenonMedian = median(systems.find((entry) => entry.id === "tenon")?.samples ?? [Number.NaN]);
console.log(
	`| system | median ms | p95 ms | n | median / Tenon's |\n| --- | --- | --- | --- | --- |`,
);
for (const entry of systems) {
	const m = median(entry.samples);
	console.log(
		`| ${entry.system.name} | ${m.toFixed(3)} | ${p95(entry.samples).toFixed(3)} | ${entry.samples.length} | ${(m / tenonMedian).toFixed(2)} |`,
	);
}
for (const entry of systems) {
	await entry.caller?.close();
	await entry.system.stop();
}
