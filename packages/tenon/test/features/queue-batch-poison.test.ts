// Regression (an attacker probe, 2026-11-29): a `run` loop that takes messages in batches and
// fails on a bad one released every message it held, each counted as delivered: good messages
// that kept sharing batches with bad ones reached `maxQueueDeliveries` and became dead letters
// with them, never processed (their waiting senders answered `queue/dead_lettered`). Messages
// a failure held together are now handed out alone from then on: each bad one fails by itself.
import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const worker = actor({
	state: { done: [] as string[] },
	queues: { jobs: queue<{ id: string; poison?: boolean }>() },
	run: async (c) => {
		for (;;) {
			const batch = await c.queue.nextBatch({ names: ["jobs"], count: 10, completable: true });
			for (const message of batch) {
				if (message.body.poison) throw new Error(`poison ${message.body.id}`);
				await message.complete();
				c.state.done.push(message.body.id);
			}
		}
	},
	actions: {
		add: async (c, ...jobs: { id: string; poison?: boolean }[]) => {
			for (const job of jobs) await c.queue.send("jobs", job);
		},
		done: (c) => c.state.done,
		dead: async (c) =>
			(await c.queue.deadLetters()).map((letter) => (letter.body as { id: string }).id).sort(),
	},
	options: { maxQueueDeliveries: 3 },
});
const registry = setup({ use: { worker }, logLevel: "silent" });

describe("a run loop that takes batches", () => {
	it("processes the good messages batched with bad ones; only the bad ones become dead letters", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("w");
		await handle.add({ id: "p0", poison: true }, { id: "p1", poison: true }, { id: "victim" });
		for (let second = 0; second < 300; second++) {
			await t.settle();
			if ((await handle.dead()).length === 2) break;
			await t.clock.advance(1_000);
		}
		expect(await handle.done()).toEqual(["victim"]);
		expect(await handle.dead()).toEqual(["p0", "p1"]);
		// Messages sent afterwards still go in batches, and are handled.
		await handle.add({ id: "a" }, { id: "b" });
		await t.settle();
		await expect.poll(() => handle.done()).toEqual(["victim", "a", "b"]);
	});
});
