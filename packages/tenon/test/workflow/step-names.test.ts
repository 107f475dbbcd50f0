// Regression (an attacker probe, 2026-11-27): a step named from a client's text cut inside an
// emoji (`ctx.step(\`cut-${name.slice(0, 3)}\`)` on "ab😀c") holds half a surrogate pair. The
// step ran and its state change was committed, but its journal entry could not be stored
// (`state/not_serializable`): the change stood without its step. A name that is not well-formed
// text is refused before the step runs, as an empty or overlong one is.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { type WorkflowErrorEvent, workflow } from "../../src/workflow/index.js";

const reported: WorkflowErrorEvent[] = [];
const cutter = actor({
	state: { done: [] as string[] },
	actions: { read: (c) => c.state.done },
	run: workflow(
		async (ctx) => {
			const name = "ab😀c";
			await ctx.step(`cut-${name.slice(0, 3)}`, (c) => {
				c.state.done.push("cut");
			});
		},
		{ onError: (_c, event) => void reported.push(event) },
	),
});
const registry = setup({ use: { cutter }, logLevel: "silent" });

describe("a workflow step's name", () => {
	it("that is not well-formed text halts the workflow with invalid_use before the step runs", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.cutter.getOrCreate("c");
		await handle.read();
		await expect.poll(() => reported.length).toBe(1);
		expect(reported[0]).toMatchObject({
			workflow: {
				error: {
					metadata: { group: "workflow", code: "invalid_use" },
					message: expect.stringContaining("not well-formed"),
				},
			},
		});
		await t.settle();
		expect(await handle.read()).toEqual([]);
	});
});
