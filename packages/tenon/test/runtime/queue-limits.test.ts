// The queue's limits hold on every path into it: a dead letter retried into
// a full queue, and receive counts that are not positive integers (a review,
// 2026-11-26: retryDeadLetter took a full queue past maxQueueSize, and a batch
// receive with count NaN took every message).
import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const limited = actor({
	state: {},
	queues: { jobs: queue<number>() },
	actions: {
		add: (c, n: number) => c.queue.send("jobs", n),
		/** Takes one message completable and fails: its delivery is counted, then given back. */
		failOne: async (c) => {
			await c.queue.tryNext({ names: ["jobs"], completable: true });
			throw new Error("consumer failed");
		},
		take: async (c) => (await c.queue.tryNext({ names: ["jobs"] }))?.body ?? null,
		deadIds: async (c) => (await c.queue.deadLetters()).map((d) => d.id),
		retry: (c, id: string) => c.queue.retryDeadLetter(id),
		size: (c) => c.queue.size,
		batch: async (c, count: unknown, wait: boolean) => {
			const options = { names: ["jobs"] as const, count: count as number };
			const messages = wait
				? await c.queue.nextBatch({ ...options, timeout: 0 })
				: await c.queue.tryNextBatch(options);
			return messages.map((m) => m.body);
		},
		/** `next` with a `count` it does not take (plain JavaScript callers may pass one). */
		nextWithCount: async (c) => {
			const options = { names: ["jobs"], count: 5 } as { names: ["jobs"] };
			return (await c.queue.tryNext(options))?.body ?? null;
		},
	},
	options: { maxQueueSize: 2, maxQueueDeliveries: 1 },
});

const registry = setup({ use: { limited }, logLevel: "silent" });

describe("queue limits", () => {
	it("retryDeadLetter refuses a full queue with queue/full and keeps the dead letter", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.limited.getOrCreate("retry-full");
		await handle.add(1);
		await handle.failOne().catch(() => {});
		// The next receive sets it aside (1 delivery = maxQueueDeliveries).
		expect(await handle.take()).toBeNull();
		const [id] = await handle.deadIds();
		expect(id).toBeDefined();
		await handle.add(2);
		await handle.add(3);
		await expect(handle.add(4)).rejects.toMatchObject({ group: "queue", code: "full" });
		await expect(handle.retry(id as string)).rejects.toMatchObject({
			group: "queue",
			code: "full",
		});
		expect(await handle.size()).toBe(2);
		expect(await handle.deadIds()).toEqual([id]);
		// Only the id as it was given names it: "01" or "0x1" went through Number() (a review).
		for (const alias of [`0${id}`, ` ${id}`, `${id}.0`, `0x${Number(id).toString(16)}`])
			expect(await handle.retry(alias), alias).toBe(false);
		expect(await handle.deadIds()).toEqual([id]);
		// With room again, the retry goes through.
		expect(await handle.take()).toBe(2);
		expect(await handle.retry(id as string)).toBe(true);
		expect(await handle.deadIds()).toEqual([]);
		expect(await handle.size()).toBe(2);
	});

	it("a batch receive whose count is not a positive integer is refused and takes nothing", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.limited.getOrCreate("counts");
		await handle.add(1);
		await handle.add(2);
		for (const count of [Number.NaN, 1.5, 0, -1, "2", Number.POSITIVE_INFINITY]) {
			for (const wait of [false, true]) {
				await expect(handle.batch(count, wait), `count ${String(count)}`).rejects.toMatchObject({
					group: "queue",
					code: "invalid_options",
				});
			}
		}
		expect(await handle.size()).toBe(2);
		expect(await handle.batch(1, false)).toEqual([1]);
		expect(await handle.batch(5, true)).toEqual([2]);
	});

	it("next() takes one message even when given a count", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.limited.getOrCreate("next-count");
		await handle.add(1);
		await handle.add(2);
		expect(await handle.nextWithCount()).toBe(1);
		expect(await handle.size()).toBe(1);
	});
});
