// A workflow's claim on the completable messages it received survives the
// actor's restarts (QueueManager, "provider" holder): after a wake, no action
// or hook can take a message the workflow journaled before the workflow takes
// it back (before 2026-11-26 an action that woke the actor took it, and both
// processed it: a review). A claim the workflow does not take back goes back
// to the queue once its run has looked at its journal, and what a workflow
// that ended never completed goes back when its run ends.
import { describe, expect, it } from "vitest";
import type { RunHost } from "../../src/actor/run-host.js";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { Loop, workflow } from "../../src/workflow/index.js";

/** What another consumer gets of the queue now. */
async function steal(c: {
	state: { stolen: string[] };
	queue: { tryNext(o: { completable: true }): Promise<unknown> };
}): Promise<string | null> {
	const message = (await c.queue.tryNext({ completable: true })) as
		| { body: string; complete(reply: string): Promise<void> }
		| undefined;
	if (message === undefined) return null;
	c.state.stolen.push(message.body);
	await message.complete("stolen");
	return message.body;
}

const worker = actor({
	state: { processed: [] as string[], stolen: [] as string[] },
	queues: { jobs: queue<string, string>() },
	actions: { steal, status: (c) => c.state },
	run: workflow(async (ctx) => {
		// A journaled receive, then a long durable sleep before processing.
		await ctx.loop("serve", async (loop) => {
			const message = await loop.queue.next("take", { completable: true });
			await loop.sleep("pause", 60_000);
			await loop.step("process", (c) => {
				c.state.processed.push(message.body);
			});
			await message.complete("processed");
		});
	}),
});

/** The same, with a wake hook that takes what it can. */
const hooked = actor({
	state: { processed: [] as string[], stolen: [] as string[], onWake: [] as string[] },
	queues: { jobs: queue<string, string>() },
	onWake: async (c) => {
		const message = await c.queue.tryNext({ completable: true });
		if (message !== undefined) {
			c.state.onWake.push(message.body);
			await message.complete("taken on wake");
		}
	},
	actions: { steal, status: (c) => c.state },
	run: workflow(async (ctx) => {
		// A journaled receive, then a long durable sleep before processing.
		await ctx.loop("serve", async (loop) => {
			const message = await loop.queue.next("take", { completable: true });
			await loop.sleep("pause", 60_000);
			await loop.step("process", (c) => {
				c.state.processed.push(message.body);
			});
			await message.complete("processed");
		});
	}),
});

/** Receives one message completable and ends without completing it. */
const quitter = actor({
	state: { stolen: [] as string[] },
	queues: { jobs: queue<string, string>() },
	actions: {
		/** What another consumer gets of the queue now. */
		take: async (c) => {
			const message = await c.queue.tryNext({ completable: true });
			if (message === undefined) return null;
			c.state.stolen.push(message.body);
			await message.complete("taken");
			return message.body;
		},
		status: (c) => c.state,
	},
	run: workflow(async (ctx) => {
		await ctx.queue.next("take", { completable: true });
	}),
});

/** Serves jobs, leaves "skip-*" uncompleted, ends at "stop" (its loop prunes old iterations). */
const skipper = actor({
	state: {},
	queues: { jobs: queue<string, string>() },
	actions: {
		take: async (c) => {
			const message = await c.queue.tryNext({ completable: true });
			if (message === undefined) return null;
			await message.complete("taken");
			return message.body;
		},
	},
	run: workflow(async (ctx) => {
		await ctx.loop("serve", async (loop) => {
			const message = await loop.queue.next("take", { completable: true });
			if (message.body.startsWith("skip")) return Loop.continue(undefined);
			await message.complete("done");
			return message.body === "stop" ? Loop.break(undefined) : undefined;
		});
	}),
});

/** Life by life, what a custom run provider that never calls `lease` received. */
const lives: string[][] = [];
const forgetful = actor({
	state: {},
	queues: { jobs: queue<string>() },
	actions: { ping: () => true },
	run: Object.assign(async () => {}, {
		kind: "forgetful",
		async run(host: RunHost) {
			const life: string[] = [];
			lives.push(life);
			for (;;) {
				const [message] = await host.queue
					.nextBatch({
						count: 1,
						completable: true,
						signal: host.abortSignal,
					})
					.catch(() => []);
				if (message === undefined) return;
				life.push(message.body as string);
			}
		},
	}),
});

const registry = setup({ use: { worker, hooked, quitter, skipper, forgetful } });

async function journaled(
	t: { settle(): Promise<void>; workflowHistory(id: string): Promise<{ entries: unknown[] }> },
	id: string,
	name: string,
): Promise<void> {
	await expect
		.poll(
			async () => {
				await t.settle();
				const history = await t.workflowHistory(id);
				return JSON.stringify(history.entries).includes(`"${name}"`);
			},
			{ timeout: 10_000, interval: 20 },
		)
		.toBe(true);
}

describe("a workflow's claim on its queue messages", () => {
	it("keeps an action that wakes the actor from taking a message the workflow received", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("a");
		const id = await handle.resolve();
		await handle.send("jobs", "first");
		await journaled(t, id, "pause");
		await t.restart();
		// The action wakes the actor: the workflow has not loaded its journal yet.
		expect(await handle.steal()).toBe(null);
		await t.clock.advance(60_000);
		await expect.poll(async () => (await handle.status()).processed).toEqual(["first"]);
		const status = await handle.status();
		expect(status.processed).toEqual(["first"]);
		expect(status.stolen).toEqual([]);
	});

	it("keeps the wake hook from taking it, and the hook's receive does not wait for the workflow", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.hooked.getOrCreate("b");
		const id = await handle.resolve();
		void handle.send("jobs", "first");
		await journaled(t, id, "pause");
		await t.restart();
		await handle.send("jobs", "second");
		// The wake ran its hook (it took nothing of the workflow's) and serves.
		expect((await handle.status()).onWake).toEqual([]);
		expect(await handle.steal()).toBe("second");
		await t.clock.advance(60_000);
		await expect.poll(async () => (await handle.status()).processed).toEqual(["first"]);
	});

	it("gives back what a workflow that ended never completed, in its life and after a restart", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.quitter.getOrCreate("a");
		const id = await handle.resolve();
		await handle.send("jobs", "first");
		await expect
			.poll(async () => {
				await t.settle();
				return (await t.workflowHistory(id)).status;
			})
			.toBe("completed");
		expect(await handle.take()).toBe("first");
		await handle.send("jobs", "second");
		await t.restart();
		expect(await handle.take()).toBe("second");
		expect((await handle.status()).stolen).toEqual(["first", "second"]);
	});

	it("gives back what an ended workflow received in loop iterations its journal pruned", async () => {
		// Only what the journal listed went back (a review): 20 iterations are kept.
		await using t = await setupTest(registry);
		const handle = t.client.skipper.getOrCreate("a");
		const id = await handle.resolve();
		await handle.send("jobs", "skip-1");
		for (let i = 0; i < 21; i++) await handle.send("jobs", `job-${i}`);
		await handle.send("jobs", "stop");
		await expect
			.poll(async () => {
				await t.settle();
				return (await t.workflowHistory(id)).status;
			})
			.toBe("completed");
		expect(await handle.take()).toBe("skip-1");
	});

	// Passed before claims were stored too: it guards the provider that never calls `lease`
	// (a receive gate of 43b4ca5, reverted, kept its messages from it for good).
	it("gives back a claim the provider does not take over once it receives again", async () => {
		lives.length = 0;
		await using t = await setupTest(registry);
		const handle = t.client.forgetful.getOrCreate("a");
		await handle.ping();
		await handle.send("jobs", "first");
		await expect.poll(() => lives[0]).toEqual(["first"]);
		await t.restart();
		await handle.ping();
		await expect.poll(() => lives[1]).toEqual(["first"]);
	});
});
