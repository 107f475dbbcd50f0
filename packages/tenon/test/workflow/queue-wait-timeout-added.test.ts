// A deploy that adds a timeout to the queue wait a run is in applies it, from the first
// replay: since a wait is journaled when it begins (2026-11-28), its entry had no deadline
// and the new timeout was ignored, so the run waited for good (a review, 2026-11-28).
import { expect, it } from "vitest";
import { actor, memoryDriver, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";

const make = (timeout?: number) =>
	actor({
		state: { log: [] as string[] },
		actions: { log: (c) => c.state.log },
		queues: { approval: queue<string>() },
		run: workflow(async (ctx) => {
			await ctx.step("reserve", (c) => void c.state.log.push("reserve"));
			const m = await ctx.queue.next("approval", {
				names: ["approval"],
				...(timeout === undefined ? {} : { timeout }),
			});
			await ctx.step("after", (c) => void c.state.log.push(m === undefined ? "timed out" : "got"));
		}),
	});

it("a timeout deployed on a wait a run is in applies to it", async () => {
	const storage = memoryDriver();
	let id: string;
	{
		await using t = await setupTest(setup({ use: { order: make() }, logLevel: "silent" }), {
			storage,
		});
		const h = t.client.order.getOrCreate("o");
		await expect.poll(() => h.log()).toEqual(["reserve"]);
		id = await h.resolve();
	}
	await using t = await setupTest(setup({ use: { order: make(1_000) }, logLevel: "silent" }), {
		storage,
	});
	const old = t.client.order.getForId(id);
	await old.log();
	await expect
		.poll(async () => {
			await t.clock.advance(1_000);
			return old.log();
		})
		.toEqual(["reserve", "timed out"]);
});
