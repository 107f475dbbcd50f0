// Workflow primitives called inside a running step's function. A review of
// 2026-11-26 found a nested ctx.step accepted and journaled, then the next
// wake (which does not run a finished step's function) halting the workflow
// for good with history_diverged. They are refused at once now; steps
// started side by side from workflow code (Promise.all) still run.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { type WorkflowErrorEvent, workflow } from "../../src/workflow/index.js";

const reported: WorkflowErrorEvent[] = [];
const nested = actor({
	state: { log: [] as string[] },
	actions: { read: (c) => c.state.log },
	run: workflow(
		async (ctx) => {
			await ctx.step("outer", async (c) => {
				c.state.log.push("outer");
				await ctx.step("inner", (inner) => {
					inner.state.log.push("inner");
				});
			});
		},
		{ onError: (_c, event) => void reported.push(event) },
	),
});

const sideBySide = actor({
	state: { log: [] as string[] },
	actions: { read: (c) => c.state.log },
	run: workflow(async (ctx) => {
		const [a, b] = await Promise.all([
			ctx.step("a", async (c) => {
				await Promise.resolve();
				c.state.log.push("a");
				return 1;
			}),
			ctx.step("b", (c) => {
				c.state.log.push("b");
				return 2;
			}),
		]);
		await ctx.step("sum", (c) => {
			c.state.log.push(`sum:${a + b}`);
		});
	}),
});

const registry = setup({ use: { nested, sideBySide }, logLevel: "silent" });

describe("nested workflow calls", () => {
	it("a step called inside a running step halts the workflow at once with invalid_use", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.nested.getOrCreate("n");
		await handle.read();
		await expect.poll(() => reported.length).toBe(1);
		expect(reported[0]).toMatchObject({
			workflow: {
				error: {
					metadata: { group: "workflow", code: "invalid_use" },
					message: expect.stringContaining("ctx.step was called inside step 'outer'"),
				},
			},
		});
		await t.settle();
		const history = await t.workflowHistory(handle);
		expect(history.entries.map((e) => e.name)).not.toContain("inner");
		// Halted, not failed: fixed code resumes it on a later wake.
		expect(history.status).toBe("halted");
		expect(await handle.read()).not.toContain("inner");
	});

	it("steps started side by side from workflow code still run", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.sideBySide.getOrCreate("s");
		await handle.read();
		await expect.poll(async () => (await t.workflowHistory(handle)).status).toBe("completed");
		expect((await handle.read()).at(-1)).toBe("sum:3");
	});
});
