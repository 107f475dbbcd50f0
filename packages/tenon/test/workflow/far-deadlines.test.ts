// Workflow waits are bounded as timers are (0 to 8.64e15 ms, what a `Date` holds): a sleep of
// Infinity or until 1e300 was journaled and stored as the actor's alarm, and the inspector
// showed "Invalid Date" (an attacker probe, 2026-11-29). A sleep past it halts the workflow with
// workflow/invalid_use; a queue wait's timeout past it is a wait with no end.
import { expect, it } from "vitest";
import { actor, memoryDriver, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import {
	readWorkflowHistory,
	type WorkflowErrorEvent,
	workflow,
} from "../../src/workflow/index.js";

it.each([
	["sleep", Number.POSITIVE_INFINITY],
	["sleep", 2 ** 63],
	["sleepUntil", 1e300],
	["sleepUntil", -1],
	["sleepUntil", Number.NaN],
])("halts on %s(%s)", async (method, value) => {
	const seen: WorkflowErrorEvent[] = [];
	const flow = actor({
		state: {},
		actions: { ping: () => "pong" },
		run: workflow(
			async (ctx) => {
				if (method === "sleep") await ctx.sleep("nap", value);
				else await ctx.sleepUntil("nap", value);
			},
			{ onError: (_c, event) => void seen.push(event) },
		),
	});
	await using t = await setupTest(setup({ use: { flow }, logLevel: "silent" }));
	await t.client.flow.getOrCreate("f").ping();
	await expect.poll(() => seen.length).toBe(1);
	expect(JSON.stringify(seen[0])).toContain("from 0 to 8.64e15");
});

it("journals a queue wait's endless timeout within a Date, and the wait still takes its message", async () => {
	const storage = memoryDriver();
	const flow = actor({
		state: { got: "" },
		queues: { go: queue<string>() },
		actions: { got: (c) => c.state.got },
		run: workflow(async (ctx) => {
			const message = await ctx.queue.next("wait", {
				names: ["go"],
				timeout: Number.POSITIVE_INFINITY,
			});
			await ctx.step("keep", (c) => {
				c.state.got = message?.body ?? "timed out";
			});
		}),
	});
	await using t = await setupTest(setup({ use: { flow }, logLevel: "silent" }), { storage });
	const handle = t.client.flow.getOrCreate("f");
	const id = await handle.resolve();
	await expect
		.poll(async () => {
			const handles = await storage.open();
			const history = await readWorkflowHistory(handles.store, id);
			return history.entries.find((entry) => entry.location === "wait")?.deadline;
		})
		.toBe(8.64e15);
	await handle.send("go", "yes");
	await expect.poll(() => handle.got()).toBe("yes");
});
