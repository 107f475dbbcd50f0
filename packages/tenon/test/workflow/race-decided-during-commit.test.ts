// A race decided while a branch's careful attempt waited for its `running` mark's commit: the
// step never ran, and read `running` for good (a review, 2026-11-28; the check after the
// commit was outside the code that puts the mark back).
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";

let ran = 0;
const quick = actor({
	state: { outcome: "" },
	actions: { outcome: (c) => c.state.outcome },
	run: workflow(async (ctx) => {
		const { winner } = await ctx.race("r", [
			{
				name: "upstream",
				run: (b) =>
					b.step({
						name: "slow-call",
						maxRetries: 0,
						run: async () => {
							ran++;
							return "x";
						},
					}),
			},
			// Decided while the first (careful) attempt waits for its commit.
			{ name: "instant", run: async () => "now" },
		]);
		await ctx.step("save", (c) => {
			c.state.outcome = winner;
		});
		await ctx.sleep("idle", 60_000);
	}),
});
const registry = setup({ use: { quick }, logLevel: "silent" });

describe("a race decided during a careful attempt's commit", () => {
	it("leaves the losing step as it was, not running", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.quick.getOrCreate("one");
		await expect.poll(() => handle.outcome()).toBe("instant");
		await t.settle();
		const slow = (await t.workflowHistory(handle)).entries.find((e) => e.name === "slow-call");
		expect(ran).toBe(0);
		expect(slow).toMatchObject({ status: "pending", attempts: 0 });
	});
});
