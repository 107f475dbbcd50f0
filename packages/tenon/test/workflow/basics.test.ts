import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { type WorkflowErrorEvent, workflow } from "../../src/workflow/index.js";

/** Lets the server process what the clock or a request set off. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

const fiveSteps = actor({
	state: { log: [] as string[], status: "new" },
	queues: { approve: queue<{ by: string }>() },
	actions: { status: (c) => c.state },
	run: workflow(async (ctx) => {
		await ctx.step("one", (c) => {
			c.state.log.push("one");
		});
		await ctx.step("two", (c) => {
			c.state.log.push("two");
		});
		await ctx.sleep("cool-off", 60_000);
		await ctx.step("three", (c) => {
			c.state.log.push("three");
		});
		const approval = await ctx.queue.next("approval", { names: ["approve"] });
		await ctx.step("four", (c) => {
			c.state.log.push(`four:${approval.body.by}`);
		});
		await ctx.step("five", (c) => {
			c.state.log.push("five");
			c.state.status = "done";
		});
		return "shipped";
	}),
	options: { sleepTimeout: 10_000 },
});

const registry = setup({ use: { fiveSteps } });

describe("workflow basics", () => {
	it("runs 5 steps with a durable sleep and a queue wait; the journal has each step once", async () => {
		await using t = await setupTest(registry);
		const order = t.client.fiveSteps.getOrCreate("a");
		await expect.poll(async () => (await order.status()).log).toEqual(["one", "two"]);

		// Waiting on a durable timer: the actor goes to sleep, the alarm wakes it.
		await t.clock.advance(10_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await t.clock.advance(50_000);
		await expect.poll(async () => (await order.status()).log).toEqual(["one", "two", "three"]);

		// Waiting on the queue: sleeps again until a message arrives.
		await t.clock.advance(10_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await order.send("approve", { by: "ann" });
		await expect.poll(async () => (await order.status()).status).toBe("done");
		expect((await order.status()).log).toEqual(["one", "two", "three", "four:ann", "five"]);

		await t.settle();
		const history = await t.workflowHistory(order);
		expect(history.status).toBe("completed");
		expect(history.output).toBe("shipped");
		expect(history.entries.map((e) => `${e.kind}:${e.name}:${e.status}`)).toEqual([
			"step:one:completed",
			"step:two:completed",
			"sleep:cool-off:completed",
			"step:three:completed",
			"message:approval:completed",
			"step:four:completed",
			"step:five:completed",
		]);
		expect(history.entries.filter((e) => e.kind === "step").every((e) => e.attempts === 1)).toBe(
			true,
		);
	});

	it("resumes after a restart without running completed steps again", async () => {
		await using t = await setupTest(registry);
		const order = t.client.fiveSteps.getOrCreate("b");
		await order.status();
		await expect.poll(async () => (await order.status()).log).toEqual(["one", "two"]);
		await t.restart();
		await t.restart();
		// The restarted server wakes the actor for its timer.
		await t.clock.advance(60_000);
		await expect.poll(async () => (await order.status()).log).toEqual(["one", "two", "three"]);
		await order.send("approve", { by: "bo" });
		await expect.poll(async () => (await order.status()).status).toBe("done");
		expect((await order.status()).log).toEqual(["one", "two", "three", "four:bo", "five"]);
		// A completed workflow does not run again on later wakes.
		await t.restart();
		expect((await order.status()).log).toHaveLength(5);
	});
});

const events: WorkflowErrorEvent[] = [];
let flakyCalls = 0;

const retrying = actor({
	state: { result: "" },
	actions: { result: (c) => c.state.result },
	run: workflow(
		async (ctx) => {
			const value = await ctx.step({
				name: "flaky",
				maxRetries: 3,
				retryBackoffBase: 100,
				run: () => {
					flakyCalls++;
					if (flakyCalls < 3) throw new Error(`boom ${flakyCalls}`);
					return "ok";
				},
			});
			await ctx.step("save", (c) => {
				c.state.result = value;
			});
		},
		{ onError: (_c, event) => void events.push(event) },
	),
});

const exhausted = actor({
	state: { failures: 0 },
	actions: { failures: (c) => c.state.failures },
	run: workflow(
		async (ctx) => {
			await ctx.step({
				name: "always-fails",
				maxRetries: 2,
				retryBackoffBase: 50,
				retryBackoffMax: 60,
				run: () => {
					throw new Error("down");
				},
			});
		},
		{
			onError: (c, event) => {
				if ("workflow" in event) c.state.failures++;
			},
		},
	),
});

const retryRegistry = setup({ use: { retrying, exhausted } });

describe("workflow step retries", () => {
	it("retries with exponential backoff on the test clock, reporting each failure", async () => {
		await using t = await setupTest(retryRegistry);
		const handle = t.client.retrying.getOrCreate("r");
		await handle.result();
		await tick();
		expect(flakyCalls).toBe(1);
		await t.clock.advance(99);
		await tick();
		expect(flakyCalls).toBe(1);
		await t.clock.advance(1);
		await tick();
		expect(flakyCalls).toBe(2);
		// The second retry waits twice as long.
		await t.clock.advance(199);
		await tick();
		expect(flakyCalls).toBe(2);
		await t.clock.advance(1);
		await expect.poll(() => handle.result()).toBe("ok");
		expect(flakyCalls).toBe(3);
		expect(events).toEqual([
			{
				step: expect.objectContaining({
					stepName: "flaky",
					attempt: 1,
					maxRetries: 3,
					remainingRetries: 3,
					willRetry: true,
					retryDelay: 100,
					error: expect.objectContaining({ message: "boom 1" }),
				}),
			},
			{
				step: expect.objectContaining({ attempt: 2, remainingRetries: 2, retryDelay: 200 }),
			},
		]);
		await t.settle();
		const history = await t.workflowHistory(handle);
		expect(history.entries[0]).toMatchObject({ name: "flaky", status: "completed", attempts: 3 });
	});

	it("fails the workflow when retries run out (retry waits capped by retryBackoffMax)", async () => {
		await using t = await setupTest(retryRegistry);
		const handle = t.client.exhausted.getOrCreate("x");
		await handle.failures();
		await tick();
		await t.clock.advance(50);
		await tick();
		await t.clock.advance(60);
		await expect.poll(() => handle.failures()).toBe(1);
		await t.settle();
		const history = await t.workflowHistory(handle);
		expect(history.status).toBe("failed");
		expect(history.error?.message).toBe("Step 'always-fails' failed after 3 attempts: down");
		expect(history.entries[0]).toMatchObject({
			status: "failed",
			failure: "exhausted",
			attempts: 3,
		});
		// A failed workflow stays failed across wakes.
		await t.restart();
		expect(await handle.failures()).toBe(1);
	});
});
