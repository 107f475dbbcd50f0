// A workflow actor made with `create` stayed asleep: its `run` started only at
// its first call, and a test waiting for the workflow hung (a workflows
// walkthrough, 2026-11-28). Creating an actor that has a `run` wakes it.
import { expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";

const started: string[] = [];
const job = actor({
	createState: (_c, input: { id: string }) => ({ id: input.id }),
	actions: { ping: () => "pong" },
	run: workflow(async (ctx) => {
		await ctx.step("start", (c) => {
			started.push((c.state as { id: string }).id);
		});
	}),
});
const plain = actor({ state: {}, actions: { ping: () => "pong" } });

it("starts a created actor's run without a call", async () => {
	await using t = await setupTest(setup({ use: { job, plain }, logLevel: "silent" }));
	await t.client.job.create(["j1"], { input: { id: "j1" } });
	await expect.poll(() => started).toEqual(["j1"]);
	// An actor without a run is created asleep, as before.
	await t.client.plain.create(["p1"]);
	await t.settle();
	expect(t.awakeActors()).toBe(1);
});
