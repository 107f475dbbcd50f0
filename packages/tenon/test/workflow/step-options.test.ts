// A step's numeric options are checked before it runs: a value that cannot mean anything
// halts the workflow with workflow/invalid_use (maxCrashes, 2026-11-28, with the others).
import { expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { type WorkflowErrorEvent, workflow } from "../../src/workflow/index.js";

it.each([
	["maxCrashes", -1],
	["maxCrashes", 1.5],
	["maxRetries", -1],
	["timeout", 0],
])("halts on %s: %s", async (option, value) => {
	const seen: WorkflowErrorEvent[] = [];
	let ran = false;
	const flow = actor({
		state: {},
		actions: { ping: () => "pong" },
		run: workflow(
			async (ctx) => {
				await ctx.step({
					name: "s",
					[option]: value,
					run: () => {
						ran = true;
					},
				});
			},
			{ onError: (_c, event) => void seen.push(event) },
		),
	});
	await using t = await setupTest(setup({ use: { flow }, logLevel: "silent" }));
	await t.client.flow.getOrCreate("f").ping();
	await expect.poll(() => seen.length).toBe(1);
	expect(JSON.stringify(seen[0])).toContain(`step option ${option} is invalid`);
	expect(ran).toBe(false);
});
