import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { Loop, workflow } from "../../src/workflow/index.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

const ITERATIONS = 10_000;

const counter = actor({
	state: { total: 0, done: false },
	actions: { status: (c) => c.state },
	run: workflow(async (ctx) => {
		const sum = await ctx.loop({
			name: "count",
			state: { i: 0, sum: 0 },
			run: async (iteration, { i, sum }) => {
				const next = await iteration.step("add", (c) => {
					c.state.total += 1;
					return sum + i;
				});
				return i + 1 >= ITERATIONS ? Loop.break(next) : Loop.continue({ i: i + 1, sum: next });
			},
		});
		await ctx.step("finish", (c) => {
			c.state.done = true;
			return sum;
		});
	}),
});

const requests = actor({
	state: { handled: 0, completions: 0 },
	queues: { requests: queue<{ value: number }, { doubled: number }>() },
	actions: { status: (c) => c.state },
	run: workflow(async (ctx) => {
		await ctx.loop("serve", async (loop) => {
			const message = await loop.queue.next("wait", { completable: true });
			const doubled = await loop.step("handle", (c) => {
				c.state.handled++;
				return message.body.value * 2;
			});
			await message.complete({ doubled });
			await loop.step("count", (c) => {
				c.state.completions++;
			});
		});
	}),
});

const batches = actor({
	state: { batches: [] as number[][] },
	queues: { metrics: queue<number>() },
	actions: { status: (c) => c.state.batches },
	run: workflow(async (ctx) => {
		await ctx.sleep("warm-up", 1_000);
		await ctx.loop("drain", async (loop) => {
			const messages = await loop.queue.nextBatch("wait", { count: 3, timeout: 5_000 });
			await loop.step("record", (c) => {
				c.state.batches.push(messages.map((m) => m.body));
			});
		});
	}),
});

const registry = setup({ use: { counter, requests, batches } });

describe("workflow loops", () => {
	it(`keeps the journal bounded over ${ITERATIONS.toLocaleString("en")} iterations`, async () => {
		await using t = await setupTest(registry);
		const handle = t.client.counter.getOrCreate("c");
		await handle.status();
		await expect
			.poll(async () => (await handle.status()).done, { timeout: 60_000, interval: 200 })
			.toBe(true);
		expect((await handle.status()).total).toBe(ITERATIONS);
		await t.settle();
		const history = await t.workflowHistory(handle);
		expect(history.status).toBe("completed");
		const steps = history.entries.filter((e) => e.name === "add");
		// Pruned every 20 iterations, keeping the last 20.
		expect(steps.length).toBeLessThanOrEqual(40);
		expect(steps.at(-1)?.location).toBe(`count[${ITERATIONS - 1}]/add`);
		expect(history.journalBytes).toBeLessThan(8 * 1024);
		console.log(
			`[workflow/loop] iterations=${ITERATIONS} journal entries=${history.entries.length} journal bytes=${history.journalBytes}`,
		);
	}, 90_000);
});

describe("workflow queue waits", () => {
	it("completes messages once: completion is journaled, so replay does not answer again", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.requests.getOrCreate("q");
		await handle.status();
		const first = await handle.send("requests", { value: 21 }, { wait: true, timeout: 5_000 });
		expect(first).toEqual({ status: "completed", response: { doubled: 42 } });
		await t.restart();
		const second = await handle.send("requests", { value: 5 }, { wait: true, timeout: 5_000 });
		expect(second).toEqual({ status: "completed", response: { doubled: 10 } });
		expect(await handle.status()).toEqual({ handled: 2, completions: 2 });
	});

	it("nextBatch takes up to count messages, or an empty batch when its durable timeout passes", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.batches.getOrCreate("b");
		await handle.status();
		for (const value of [1, 2, 3, 4]) await handle.send("metrics", value);
		await t.clock.advance(1_000);
		await expect.poll(() => handle.status()).toEqual([[1, 2, 3], [4]]);
		await tick();
		await t.clock.advance(5_000);
		await expect.poll(() => handle.status()).toEqual([[1, 2, 3], [4], []]);
	});
});
