// A run provider registers a final-commit write, then fails; the actor stops
// while the restart waits (backoff). The write reaches the stop's final
// commit: an ended run writes nothing, but for its beforeFinalCommit
// callbacks (a first version dropped it: a review, 2026-11-26).
import { describe, expect, it } from "vitest";
import type { RunHost } from "../../src/actor/run-host.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const KEY = new TextEncoder().encode("provider:clean");
let runs = 0;
let seen: (Uint8Array | undefined)[] = [];

const p = actor({
	state: {},
	actions: {
		ping: () => true,
		runs: () => runs,
		seen: () => seen.map((v) => (v === undefined ? null : v[0])),
	},
	run: Object.assign(async () => {}, {
		kind: "custom",
		async run(host: RunHost) {
			runs++;
			seen = await host.storage.get([KEY]);
			if (seen[0] !== undefined) return; // a later life: done
			host.beforeFinalCommit(() => host.storage.put(KEY, Uint8Array.of(7)));
			throw new Error("boom");
		},
	}),
});
const registry = setup({ use: { p }, logLevel: "silent" });

describe("a failed run's final-commit write", () => {
	it("reaches the stop's final commit", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.p.getOrCreate("a");
		await handle.ping();
		await expect.poll(() => runs).toBe(1);
		await t.restart(); // within the 1 s backoff: no second run in this life
		await handle.ping();
		await t.settle();
		expect(await handle.seen()).toEqual([7]);
	}, 10_000);
});
