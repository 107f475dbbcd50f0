// A workflow whose run stopped at a code error (its code no longer matches its journal, or it
// misuses the API) read as `running` in its history and the inspector, with no error: the
// one state an operator most needs to see looked healthy. It reads `halted`, with the error,
// until a run starts again (a deploy that fixes the code goes on from the journal).
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";

/** Reads state outside a step (a code error) while `broken` is set. */
let broken = true;
const flaky = actor({
	state: { n: 0 },
	actions: { ping: () => "pong" },
	run: workflow(async (ctx) => {
		await ctx.step("first", (c) => {
			c.state.n++;
		});
		if (broken) void ctx.state.n;
		await ctx.step("second", (c) => {
			c.state.n++;
		});
	}),
});

const registry = setup({ use: { flaky } });

describe("a halted workflow's status", () => {
	it("reads halted with its error, and running again once a fixed run goes on", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.flaky.getOrCreate("one");
		await handle.ping();
		await expect
			.poll(async () => (await t.workflowHistory(handle)).status, { timeout: 5_000 })
			.toBe("halted");
		const halted = await t.workflowHistory(handle);
		expect(halted.error).toMatchObject({ name: "OutsideStepError" });
		expect(halted.entries.map((entry) => `${entry.name}:${entry.status}`)).toEqual([
			"first:completed",
		]);
		// Still halted after a restart with the same code.
		await t.restart();
		await handle.ping();
		await t.settle();
		expect((await t.workflowHistory(handle)).status).toBe("halted");
		// A deploy that fixes it goes on from the journal, and the status follows.
		broken = false;
		await t.restart();
		await handle.ping();
		await expect
			.poll(async () => (await t.workflowHistory(handle)).status, { timeout: 5_000 })
			.toBe("completed");
		const done = await t.workflowHistory(handle);
		expect(done.error).toBeUndefined();
		expect(done.entries.map((entry) => `${entry.name}:${entry.status}`)).toEqual([
			"first:completed",
			"second:completed",
		]);
	});
});
