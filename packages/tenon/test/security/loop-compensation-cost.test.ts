// A loop keeps the iterations whose steps have a compensation that may still
// run (a rollback replays them), and at every prune (each 20 iterations) it
// tested each kept iteration against every pending step: kept × pending per
// prune, cubic over the loop. A workflow that runs one compensable step per
// queue message lets a client choose the count: 4,000 iterations took 28 s
// (2,000: 4.9 s) and stalled the loop up to 460 ms per prune (an attacker
// probe, 2026-11-26; about 3 s now, 35 ms at worst). The iterations holding
// pending steps are now gathered in one pass. The test makes the loop prune
// once, at its end, with all its iterations kept: the cost of one prune.
import { expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { Loop, workflow } from "../../src/workflow/index.js";
import { watchLoop } from "../helpers/loop-stalls.js";

const ITERATIONS = 4_000;

const saga = actor({
	state: { done: 0, undone: 0 },
	queues: { go: queue<number>() },
	actions: { done: (c) => c.state.done, undone: (c) => c.state.undone },
	run: workflow(async (ctx) => {
		const count = (await ctx.queue.next("go", { names: ["go"] })).body;
		await ctx.rollbackCheckpoint("cp");
		const result = await ctx.loop({
			name: "orders",
			state: 0,
			// One prune, at the end, of every iteration (each is kept: its step awaits compensation).
			historyPruneInterval: 1_000_000,
			historySize: 0,
			run: async (l, i: number) => {
				await l.step({
					name: "charge",
					run: () => i,
					rollback: (c) => {
						c.state.undone++;
					},
				});
				return i + 1 < count ? Loop.continue(i + 1) : Loop.break(i + 1);
			},
		});
		await ctx.step("record", (c) => {
			c.state.done = result;
		});
	}),
});
const registry = setup({ use: { saga }, logLevel: "silent" });

it("a loop that keeps 4,000 iterations with a compensable step each prunes them without stalling", async () => {
	await using t = await setupTest(registry);
	const handle = t.client.saga.getOrCreate("x");
	await handle.done();
	const loop = watchLoop();
	await handle.send("go", ITERATIONS);
	await expect.poll(() => handle.done(), { timeout: 8_000, interval: 20 }).toBe(ITERATIONS);
	// About 50 ms at worst (the iterations' own work); the prune alone took 370 ms before.
	expect(loop.stop()).toBeLessThan(150);
	expect((await t.workflowHistory(handle)).status).toBe("completed");
	expect(await handle.undone()).toBe(0);
}, 15_000);
