// Stored queue messages are held encoded, not decoded: a 60 KB message of
// 60,000 empty objects took about 4 MB of heap decoded, and an actor holds
// every stored message from its wake to its sleep (an attacker probe ran a
// server out of memory with one actor's full queue, 2026-11-25).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { actor, queue, setup } from "../../src/index.js";
import { cborEncode } from "../../src/protocol/encoding.js";
import { decodeMessage, messageKey } from "../../src/runtime/queue-records.js";
import { setupTest } from "../../src/test/index.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const inbox = actor({
	state: {},
	queues: { items: queue<unknown[]>() },
	actions: {
		/** Stores `count` messages of 60,000 empty objects each (60 KB encoded). */
		fill: async (c, count: number) => {
			for (let i = 0; i < count; i++)
				await c.queue.send(
					"items",
					Array.from({ length: 60_000 }, () => ({})),
				);
			return c.queue.size;
		},
		firstLength: async (c) =>
			((await c.queue.tryNext({ names: ["items"] }))?.body as unknown[] | undefined)?.length,
	},
	options: { maxQueueSize: 100 },
});

describe("queue memory", () => {
	it("holds stored messages as their bytes: 40 messages of 60,000 objects take MBs, not 160 MB", async () => {
		await using t = await setupTest(setup({ use: { inbox } }));
		const handle = t.client.inbox.getOrCreate("mem");
		expect(await handle.fill(1)).toBe(1);
		gc();
		const before = process.memoryUsage().heapUsed;
		expect(await handle.fill(40)).toBe(41);
		gc();
		const grown = process.memoryUsage().heapUsed - before;
		expect(grown).toBeLessThan(20 * 1024 * 1024);
		// Handed out whole.
		expect(await handle.firstLength()).toBe(60_000);
	}, 60_000);
});

/** A batch consumer that fails with every batch it takes: they die together on the next. */
const batcher = actor({
	state: {},
	queues: { jobs: queue<number>() },
	run: async (c) => {
		await c.queue.nextBatch({ names: ["jobs"], count: 100, completable: true });
		throw new Error("this consumer fails every batch");
	},
	actions: {
		add: async (c, count: number) => {
			for (let i = 0; i < count; i++) await c.queue.send("jobs", i);
		},
		deadLetters: async (c) => (await c.queue.deadLetters({ limit: 1_000 })).length,
	},
	options: { maxQueueDeliveries: 1, maxDeadLetters: 10, maxQueueSize: 200 },
});

describe("dead letters", () => {
	it("stay within maxDeadLetters when many messages die together", async () => {
		await using t = await setupTest(setup({ use: { batcher }, logLevel: "silent" }));
		const handle = t.client.batcher.getOrCreate("batch");
		for (const count of [60, 30]) {
			await handle.add(count);
			// The loop takes the batch and fails; it restarts (after 1 s) and the batch dies whole.
			for (let i = 0; i < 5; i++) {
				await t.settle();
				await t.clock.advance(1_000);
			}
			await t.settle();
			expect(await handle.deadLetters()).toBe(10);
		}
	});
});

/** Completes one message twice at once, through a queue whose completion has a schema. */
const doubler = actor({
	state: {},
	queues: {
		jobs: queue<string, { ok: boolean }>({ complete: z.object({ ok: z.boolean() }) }),
	},
	actions: {
		add: (c) => c.queue.send("jobs", "one"),
		completeTwice: async (c) => {
			const message = await c.queue.tryNext({ names: ["jobs"], completable: true });
			if (message === undefined) return [];
			const outcomes = await Promise.allSettled([
				message.complete({ ok: true }),
				message.complete({ ok: true }),
			]);
			return outcomes.map((outcome) =>
				outcome.status === "fulfilled"
					? "completed"
					: `${(outcome.reason as { group: string }).group}/${(outcome.reason as { code: string }).code}`,
			);
		},
	},
});

describe("completing a message", () => {
	it("completes it once when complete() is called twice while its schema runs", async () => {
		await using t = await setupTest(setup({ use: { doubler } }));
		const handle = t.client.doubler.getOrCreate("twice");
		await handle.add();
		expect(await handle.completeTwice()).toEqual(["completed", "queue/already_completed"]);
	});
});

describe("stored message records", () => {
	it("reads a stored record and decodes its body only when asked", () => {
		const old = cborEncode({ n: "jobs", b: { id: "legacy", list: [1, 2] }, t: 1_000, d: 2 });
		const message = decodeMessage(messageKey(7), old);
		expect(message).toMatchObject({ seq: 7, name: "jobs", createdAt: 1_000, deliveries: 2 });
		expect(message.body).toEqual({ id: "legacy", list: [1, 2] });
	});
});

/** A run loop that fails on one kind of message and completes the others. */
const picky = actor({
	state: { done: [] as string[] },
	queues: { jobs: queue<string>() },
	run: async (c) => {
		for await (const message of c.queue.iter({ names: ["jobs"], completable: true })) {
			if (message.body === "poison") throw new Error("this job always fails");
			c.state.done.push(message.body);
			await message.complete();
		}
	},
	actions: {
		add: async (c, ...jobs: string[]) => {
			for (const job of jobs) await c.queue.send("jobs", job);
		},
		done: (c) => c.state.done,
		dead: async (c) => (await c.queue.deadLetters()).map((letter) => letter.body),
	},
	options: { maxQueueDeliveries: 3 },
});

describe("a message that fails the run loop", () => {
	it("is held back on its own while the messages behind it are handled, then set aside", async () => {
		await using t = await setupTest(setup({ use: { picky }, logLevel: "silent" }));
		const handle = t.client.picky.getOrCreate("hol");
		await handle.add("poison", "a", "b", "c");
		// Before 2026-11-25 the poison came first again at every restart (1, 2, 4, 8, 16 s of
		// backoff): the others waited 31 s, and every further poison added minutes.
		for (let i = 0; i < 3; i++) {
			await t.settle();
			await t.clock.advance(1_000);
		}
		await t.settle();
		expect(await handle.done()).toEqual(["a", "b", "c"]);
		// A completion starts the loop's backoff over: the next job goes at once.
		await handle.add("d");
		await t.settle();
		await t.clock.advance(1_000);
		await t.settle();
		expect(await handle.done()).toEqual(["a", "b", "c", "d"]);
		// Held back longer at each delivery (2, 4, 8 s), set aside after the third.
		for (let i = 0; i < 30; i++) {
			await t.settle();
			await t.clock.advance(1_000);
		}
		await t.settle();
		expect(await handle.dead()).toEqual(["poison"]);
	});
});
