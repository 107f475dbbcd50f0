// A queue that takes no body (`queue<void>()`) is sent to without one, over HTTP and from a
// connection (the types wanted a body: a typing walkthrough, 2026-11-29).
import { expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const ticker = actor({
	state: { ticks: 0 },
	queues: { tick: queue<void>() },
	run: async (c) => {
		for await (const _message of c.queue.iter({ names: ["tick"] })) c.state.ticks++;
	},
	actions: { ticks: (c) => c.state.ticks },
});

it("sends a message without a body", async () => {
	await using t = await setupTest(setup({ use: { ticker }, logLevel: "silent" }));
	const handle = t.client.ticker.getOrCreate("t");
	await handle.send("tick");
	const conn = handle.connect();
	await conn.send("tick");
	await expect.poll(() => handle.ticks()).toBe(2);
	await conn.dispose();
});
