// A waiting sender whose message `onDestroy` completes is answered
// `completed` (the senders are answered after the stop hook).
import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const hooked = actor({
	state: {},
	queues: { mail: queue<string, string>() },
	actions: {
		ping: () => true,
		size: (c) => c.queue.size,
		bye: (c) => {
			c.destroy();
			return true;
		},
	},
	onDestroy: async (c) => {
		const m = await c.queue.tryNext({ completable: true });
		await m?.complete("from onDestroy");
	},
});

const registry = setup({ use: { hooked }, logLevel: "silent" });

describe("onDestroy completes a waiting sender's message", () => {
	it("the sender is answered completed", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.hooked.getOrCreate("d");
		await handle.ping();
		const answer = handle.send("mail", "x", { wait: true, timeout: 100_000 });
		await expect.poll(() => handle.size()).toBe(1);
		await handle.bye();
		await t.settle();
		expect(await answer).toEqual({ status: "completed", response: "from onDestroy" });
	}, 10_000);
});
