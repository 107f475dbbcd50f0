// After a wake, a workflow takes back the queue messages its journal lists
// as received only once its journal is loaded; until then others' receives
// wait (QueueManager.providerLeased). Served at once, the action that woke
// the actor took a message the workflow held and went on processing too (a
// review, 2026-11-26). The wait ends however the workflow's run goes: a
// finished workflow does not hold the queue back.
import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";

const seen = { workflow: [] as string[] };

const mixed = actor({
	state: {},
	queues: { jobs: queue<string, string>() },
	actions: {
		grab: async (c) => {
			const message = await c.queue.tryNext({ completable: true });
			if (message === undefined) return null;
			await message.complete("from the action");
			return message.body;
		},
		size: (c) => c.queue.size,
	},
	run: workflow(async (ctx) => {
		const message = await ctx.queue.next("take", { names: ["jobs"], completable: true });
		await ctx.step("record", () => {
			seen.workflow.push(String(message?.body));
		});
		await ctx.sleep("pause", 60_000);
		await message?.complete("from the workflow");
	}),
	options: { sleepTimeout: 5_000 },
});

/** A workflow that is done at once: it holds nothing. */
const finished = actor({
	state: {},
	queues: { jobs: queue<string, string>() },
	actions: {
		grab: async (c) => (await c.queue.tryNext({ names: ["jobs"] }))?.body ?? null,
	},
	run: workflow(async (ctx) => {
		await ctx.step("done", () => {});
	}),
	options: { sleepTimeout: 5_000 },
});

const registry = setup({ use: { mixed, finished }, logLevel: "silent" });

describe("a workflow's queue messages after a wake", () => {
	it("are not handed to the action that wakes the actor", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.mixed.getOrCreate("w");
		await handle.send("jobs", "a");
		await expect.poll(() => seen.workflow).toEqual(["a"]);
		await t.settle();
		await t.clock.advance(5_000); // the workflow sleeps durably: the actor sleeps
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		expect(await handle.grab()).toBeNull();
		expect(await handle.size()).toBe(1);
		// The workflow still holds it, and completes it after its sleep.
		await t.settle();
		await t.clock.advance(60_000);
		await expect.poll(() => handle.size()).toBe(0);
		expect(seen.workflow).toEqual(["a"]);
	});

	it("are served at once when the workflow holds none (a finished one)", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.finished.getOrCreate("f");
		await handle.send("jobs", "a");
		await t.settle();
		await t.clock.advance(5_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		expect(await handle.grab()).toBe("a");
	});
});
