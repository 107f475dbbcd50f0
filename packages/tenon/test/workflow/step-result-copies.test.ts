// What workflow code gets from a step (and from a loop, join, race or try)
// is a copy of what the journal recorded, the same on the first run as on a
// replay. A review of 2026-11-26 found a step that returned `c.state.items`
// handed workflow code the actor's live state: code outside any step could
// change state untracked (lost at the next restart). And an ArrayBuffer or a
// -0 came back as it was on the first run but as a Buffer or a 0 on replay.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { Loop, workflow } from "../../src/workflow/index.js";

const aliasing = actor({
	state: { items: [] as string[], counts: { a: 0 }, seen: -1 },
	actions: { read: (c) => c.state },
	options: { sleepTimeout: 1_000 },
	run: workflow(async (ctx) => {
		const items = await ctx.step("get", (c) => c.state.items);
		items.push("written-outside-a-step");
		const { value: counts } = await ctx.race("r", [
			{ name: "only", run: (b) => b.step("counts", (c) => c.state.counts) },
		]);
		counts.a = 99;
		const joined = await ctx.join("j", { x: { run: (b) => b.step("x", (c) => c.state.items) } });
		joined.x.push("from-join");
		const tried = await ctx.try("t", (b) => b.step("y", (c) => c.state.items));
		if (tried.ok) tried.value.push("from-try");
		await ctx.loop({
			name: "l",
			state: { list: [] as string[] },
			run: async (l, state) => {
				const live = await l.step("z", (c) => c.state.items);
				state.list = live;
				live.push("from-loop");
				return Loop.break(null);
			},
		});
		await ctx.sleep("nap", 60_000);
		await ctx.step("after", (c) => {
			c.state.seen = c.state.items.length;
		});
	}),
});

const roundTrip = actor({
	state: { first: "", replay: "" },
	actions: { read: (c) => c.state },
	options: { sleepTimeout: 1_000 },
	run: workflow(async (ctx) => {
		const buffer = await ctx.step("buffer", () => new ArrayBuffer(4));
		const negative = await ctx.step("negative", () => -0);
		const described = `${Object.prototype.toString.call(buffer)} ${buffer.byteLength} ${Object.is(negative, -0)}`;
		await ctx.step("record-first", (c) => {
			c.state.first = described;
		});
		await ctx.sleep("nap", 60_000);
		await ctx.step("record-replay", (c) => {
			c.state.replay = described;
		});
	}),
});

const registry = setup({ use: { aliasing, roundTrip }, logLevel: "silent" });

describe("step results are copies of what was journaled", () => {
	it("workflow code changing a step's result outside a step does not change the actor's state", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.aliasing.getOrCreate("x");
		await handle.read();
		await expect
			.poll(async () => (await t.workflowHistory(handle)).entries.some((e) => e.name === "nap"))
			.toBe(true);
		await t.settle();
		expect(await handle.read()).toEqual({ items: [], counts: { a: 0 }, seen: -1 });
		await t.restart();
		await t.clock.advance(61_000);
		await expect.poll(async () => (await handle.read()).seen).toBe(0);
		expect(await handle.read()).toEqual({ items: [], counts: { a: 0 }, seen: 0 });
	});

	it("an ArrayBuffer or -0 result reads the same on the first run as on replay", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.roundTrip.getOrCreate("r");
		await handle.read();
		await expect.poll(async () => (await handle.read()).first).not.toBe("");
		await t.settle();
		await t.clock.advance(61_000);
		await expect.poll(async () => (await handle.read()).replay).not.toBe("");
		const { first, replay } = await handle.read();
		expect(replay).toBe(first);
	});
});
