import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { actor, lmdbDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

// A real collector call, so the test measures retained memory rather than garbage.
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;

function heapUsedAfterGc(): number {
	collect();
	collect();
	return process.memoryUsage().heapUsed;
}

const hoarder = actor({
	state: { items: [] as string[] },
	createVars: () => ({ cache: new Array<string>(2_000).fill("v".repeat(16)) }),
	actions: {
		fill: (c, n: number) => {
			for (let i = 0; i < n; i++) c.state.items.push(`${c.key[0]}-${i}-${"x".repeat(40)}`);
			return c.state.items.length;
		},
		count: (c) => c.state.items.length,
		last: (c) => c.state.items.at(-1),
	},
	options: { sleepTimeout: 5_000 },
});

/** The actor row 6 of the benchmark wakes: a small state, one action. */
const counter = actor({
	state: { count: 0 },
	actions: { increment: (c, by: number) => (c.state.count += by) },
	options: { sleepTimeout: 60_000 },
});

const registry = setup({ use: { hoarder, counter }, logLevel: "silent" });
const ACTORS = 300;
/** Heap bytes an awake idle actor may hold in the test below. */
const IDLE_ACTOR_HEAP_BUDGET = 3_600;

describe("idle sleep", () => {
	it("frees the memory of idle actors and wakes them with state intact", async () => {
		// LMDB keeps stored data outside the JS heap, so the heap shows exactly
		// what awake actors hold.
		const dataDir = mkdtempSync(join(tmpdir(), "tenon-sleep-"));
		await using t = await setupTest(registry, { storage: lmdbDriver({ path: dataDir }) });
		const wakeAll = async (prefix: string) => {
			for (let start = 0; start < ACTORS; start += 50) {
				await Promise.all(
					Array.from({ length: 50 }, (_, i) =>
						t.client.hoarder.getOrCreate(`${prefix}${start + i}`).fill(200),
					),
				);
			}
		};
		// A first round warms up compiled code and caches, which stay; the
		// measured round then shows only what actors themselves hold.
		await wakeAll("warmup");
		await t.clock.advance(5_000);
		await t.settle();
		const baseline = heapUsedAfterGc();
		await wakeAll("a");
		await t.settle();
		expect(t.awakeActors()).toBe(ACTORS);
		const awake = heapUsedAfterGc();
		const perActor = (awake - baseline) / ACTORS;

		await t.clock.advance(5_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		const asleep = heapUsedAfterGc();
		const released = (awake - asleep) / (awake - baseline);
		console.log(
			`[sleep] ${ACTORS} awake actors used ~${Math.round(perActor / 1024)} KiB each; sleeping released ${Math.round(released * 100)}%`,
		);
		expect(released).toBeGreaterThan(0.9);

		expect(await t.client.hoarder.getOrCreate("a7").count()).toBe(200);
		expect(await t.client.hoarder.getOrCreate("a7").last()).toMatch(/^a7-199-/);
		expect(t.awakeActors()).toBe(1);
		await t.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}, 60_000);
});

describe("an awake idle actor", () => {
	it("holds a bounded amount of heap (row 6 of the benchmark, in a test's terms)", async () => {
		// The benchmark measures this at 100,000 actors in a bundled server
		// (bench/heap-census.ts: 2.4 KB each, 2026-11-28); a test runs the
		// sources as vitest transforms them and holds the test kit's client,
		// so its figure is higher, and the budget catches an actor that grows
		// by a quarter (an empty Map made for every actor was 0.25 KB of it).
		const dataDir = mkdtempSync(join(tmpdir(), "tenon-idle-"));
		await using t = await setupTest(registry, { storage: lmdbDriver({ path: dataDir }) });
		const wake = async (prefix: string, count: number) => {
			for (let start = 0; start < count; start += 100) {
				await Promise.all(
					Array.from({ length: 100 }, (_, i) =>
						t.client.counter.getOrCreate(`${prefix}${start + i}`).increment(1),
					),
				);
			}
			await t.settle();
		};
		await wake("warmup", 500);
		const ACTORS = 3_000;
		const baseline = heapUsedAfterGc();
		await wake("a", ACTORS);
		expect(t.awakeActors()).toBe(ACTORS + 500);
		const perActor = (heapUsedAfterGc() - baseline) / ACTORS;
		console.log(`[idle] an awake idle actor holds ${Math.round(perActor)} B of heap`);
		expect(perActor).toBeLessThan(IDLE_ACTOR_HEAP_BUDGET);
		await t.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}, 60_000);
});
