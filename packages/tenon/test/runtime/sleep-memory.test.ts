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

const registry = setup({ use: { hoarder }, logLevel: "silent" });
const ACTORS = 300;

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
