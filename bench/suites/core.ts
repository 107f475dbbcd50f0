// The core workloads, run on every system that can run them, one system at a time.
import { summarize, time } from "../lib/stats.js";
import { floorSystem, lmdbCommitFloor } from "../systems/floor.js";
import { tenonSystem } from "../systems/tenon.js";
import type { System } from "../systems/types.js";
import type { BenchRow } from "./sqlite.js";

/** Targets for Tenon (from the benchmark issue). */
const TARGETS = {
	warm: { median: 0.6, text: "<= 0.6 ms" },
	http: { median: 1, text: "<= 1 ms" },
	create: { median: 2, text: "<= 2 ms" },
	wake: { median: 2, text: "<= 2 ms" },
	broadcast: { median: 5, text: "<= 5 ms" },
} as const;

async function samples(n: number, fn: () => Promise<unknown>): Promise<number[]> {
	const out: number[] = [];
	for (let i = 0; i < n; i++) out.push(await time(fn));
	return out;
}

function row(
	system: System,
	workload: string,
	values: number[],
	target?: { median: number; text: string },
	durability = system.durability,
): BenchRow {
	const isTenon = system.name.startsWith("Tenon");
	return {
		suite: "core",
		workload,
		system: system.name,
		durability,
		summary: summarize(values),
		...(isTenon && target ? { target } : {}),
	};
}

async function runSystem(
	system: System,
	quick: boolean,
	extraSystems: boolean,
): Promise<BenchRow[]> {
	const rows: BenchRow[] = [];
	const n = quick ? 300 : 2_000;
	await system.start();
	try {
		if (system.warmConnection) {
			const caller = await system.warmConnection("warm");
			for (let i = 0; i < 50; i++) await caller.call();
			rows.push(
				row(
					system,
					"1. warm action over a connection",
					await samples(n, () => caller.call()),
					TARGETS.warm,
				),
			);
			await caller.close();
		}
		if (system.httpAction) {
			const caller = await system.httpAction("http");
			for (let i = 0; i < 50; i++) await caller.call();
			rows.push(
				row(
					system,
					"2. stateless HTTP action, warm actor",
					await samples(n, () => caller.call()),
					TARGETS.http,
				),
			);
			await caller.close();
		}
		if (system.createAndCall) {
			const create = system.createAndCall.bind(system);
			let i = 0;
			rows.push(
				row(
					system,
					"3. create + first action (new key)",
					await samples(quick ? 100 : 500, () => create(`new-${i++}`)),
					TARGETS.create,
				),
			);
		}
		if (system.sleep && system.wakeAndCall) {
			const keys = Array.from({ length: quick ? 50 : 300 }, (_, i) => `sleepy-${i}`);
			await system.sleep(keys);
			const wake = system.wakeAndCall.bind(system);
			let i = 0;
			rows.push(
				row(
					system,
					"4. wake from sleep + action",
					await samples(keys.length, () => wake(keys[i++] as string)),
					TARGETS.wake,
				),
			);
		}
		if (system.throughput) {
			const actors = quick ? 100 : 1_000;
			const perSecond = await system.throughput({
				actors,
				depth: quick ? 4 : 8,
				seconds: quick ? 2 : 5,
			});
			rows.push({
				...row(system, `5. throughput: ${actors.toLocaleString("en")} actors, pipelined`, [
					1_000 / perSecond,
				]),
				rate: perSecond,
				...(system.name.startsWith("Tenon")
					? { target: { median: 1_000 / 50_000, text: ">= 50,000 /s" } }
					: {}),
			});
		}
		if (system.memory) {
			const counts = quick ? [1_000] : [1_000, 10_000, 100_000];
			const { perAwake, perSleeping } = await system.memory(counts);
			for (const [count, bytes] of perAwake) {
				rows.push({
					...row(system, `6. memory per awake idle actor (${count.toLocaleString("en")} actors)`, [
						bytes,
					]),
					bytes,
					...(system.name.startsWith("Tenon") && count === 100_000
						? { target: { median: 5_000, text: "<= 5 KB" } }
						: {}),
				});
			}
			if (perSleeping !== undefined) {
				rows.push({
					...row(system, "6. memory per sleeping actor", [perSleeping]),
					bytes: perSleeping,
				});
			}
		}
		if (system.broadcast) {
			const connections = quick ? 200 : 1_000;
			rows.push(
				row(
					system,
					`7. broadcast to ${connections.toLocaleString("en")} connections (last receipt)`,
					await system.broadcast(connections, quick ? 10 : 30),
					TARGETS.broadcast,
				),
			);
		}
	} finally {
		await system.stop();
	}
	void extraSystems;
	return rows;
}

export async function coreSuite(options: { quick: boolean }): Promise<BenchRow[]> {
	const rows: BenchRow[] = [];
	const systems: System[] = [tenonSystem(), floorSystem()];
	for (const system of systems) {
		console.error(`  ${system.name}...`);
		rows.push(...(await runSystem(system, options.quick, false)));
	}
	rows.push({
		suite: "core",
		workload: "floor: one durable LMDB commit (put + fsync)",
		system: "floor: bare LMDB",
		durability: "fsync",
		summary: summarize(await lmdbCommitFloor(options.quick ? 100 : 500)),
	});
	return rows;
}
