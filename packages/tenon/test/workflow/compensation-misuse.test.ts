// A compensation whose code misuses the workflow API (a step inside it) failed the workflow for
// good, its other compensations never run, though workflows.md said such misuse stops the
// workflow as any other does, for a deploy to fix (an attacker probe, 2026-11-28). It halts
// now: the history reads `halted`, and a fixed deploy rolls back again.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { CriticalError, workflow } from "../../src/workflow/index.js";

let broken = true;
const saga = actor({
	state: { undone: [] as string[] },
	actions: { undone: (c) => c.state.undone },
	run: workflow(async (ctx) => {
		await ctx.rollbackCheckpoint("cp");
		await ctx.step({
			name: "reserve",
			run: () => "r",
			rollback: async (c) => {
				c.state.undone.push("reserve");
			},
		});
		await ctx.step({
			name: "hold",
			run: () => "h",
			rollback: async (c) => {
				if (broken) await ctx.step("inside", () => 1);
				c.state.undone.push("hold");
			},
		});
		await ctx.step("charge", () => {
			throw new CriticalError("card declined");
		});
	}),
});
const registry = setup({ use: { saga }, logLevel: "silent" });

describe("a compensation that misuses the workflow API", () => {
	it("halts the workflow, and a fixed deploy rolls back again", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.saga.getOrCreate("one");
		await handle.undone();
		await expect.poll(async () => (await t.workflowHistory(handle)).status).toBe("halted");
		expect((await t.workflowHistory(handle)).error).toMatchObject({
			metadata: { group: "workflow", code: "invalid_use" },
		});
		expect(await handle.undone()).toEqual([]);
		broken = false;
		await t.restart();
		await handle.undone();
		await expect.poll(async () => (await t.workflowHistory(handle)).status).toBe("failed");
		expect(await handle.undone()).toEqual(["hold", "reserve"]);
		expect((await t.workflowHistory(handle)).error?.message).toMatch(/card declined/);
	});
});
