// Regression (an attacker probe, 2026-11-27): a sender waiting for a message that became a dead
// letter was never told: it waited its whole timeout (five minutes by default), was answered
// `timedOut`, which says the message stays queued, and kept the actor awake all that time.
// It now learns `queue/dead_lettered` once the dead letter is durable.
import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const poisoned = actor({
	state: {},
	queues: { jobs: queue<string, string>() },
	actions: {
		/** Takes one message completable and fails: its delivery is counted, then given back. */
		failOne: async (c) => {
			await c.queue.tryNext({ names: ["jobs"], completable: true });
			throw new Error("consumer failed");
		},
		/** Takes one message and completes it (a message delivered too often is set aside instead). */
		work: async (c) => {
			const message = await c.queue.tryNext({ names: ["jobs"], completable: true });
			await message?.complete("done");
			return message?.body ?? null;
		},
		size: (c) => c.queue.size,
		dead: async (c) => (await c.queue.deadLetters()).map((letter) => letter.body),
	},
	options: { maxQueueDeliveries: 2 },
});
const registry = setup({ use: { poisoned }, logLevel: "silent" });

describe("a waiting sender whose message becomes a dead letter", () => {
	it("is answered queue/dead_lettered, not timedOut after its whole wait", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.poisoned.getOrCreate("p");
		const answer = handle.send("jobs", "poison", { wait: true, timeout: 600_000 });
		const settled = answer.then(
			() => "resolved",
			(error: { group?: string; code?: string }) => `${error.group}/${error.code}`,
		);
		await expect.poll(() => handle.size()).toBe(1);
		for (let i = 0; i < 2; i++) await expect(handle.failOne()).rejects.toThrow();
		expect(await handle.work()).toBeNull();
		expect(await handle.dead()).toEqual(["poison"]);
		const stillWaiting = new Promise((resolve) =>
			setTimeout(() => resolve("still waiting"), 5_000),
		);
		expect(await Promise.race([settled, stillWaiting])).toBe("queue/dead_lettered");
		// Other senders are answered as before.
		const fine = handle.send("jobs", "fine", { wait: true, timeout: 10_000 });
		await expect.poll(() => handle.work()).toBe("fine");
		expect(await fine).toEqual({ status: "completed", response: "done" });
	});
});
