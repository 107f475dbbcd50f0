// How many promises a warm action on a connection makes, client and server
// together, metrics on. Each is an allocation, and with a tracing context
// manager on Node 20 (AsyncLocalStorage on async hooks) a hook call of its
// own: the count is part of the hot path's cost, and this guards it.
import { createHook } from "node:async_hooks";
import { expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const counter = actor({
	state: { count: 0 },
	actions: {
		increment: (c) => {
			c.state.count++;
			return c.state.count;
		},
	},
});

/** The same counter, saved within a second of the reply: nothing in its reply waits for the disk. */
const relaxedCounter = actor({
	state: { count: 0 },
	actions: {
		increment: (c) => {
			c.state.count++;
			return c.state.count;
		},
	},
	options: { durability: "relaxed" },
});

/** Promises made per call of `call`, over `calls` calls after a warm-up. */
async function promisesPerCall(call: () => Promise<unknown>, calls = 200): Promise<number> {
	for (let i = 0; i < 50; i++) await call();
	let promises = 0;
	const hook = createHook({
		init(_id, type) {
			if (type === "PROMISE") promises++;
		},
	});
	hook.enable();
	try {
		for (let i = 0; i < calls; i++) await call();
	} finally {
		hook.disable();
	}
	return promises / calls;
}

it("a warm durable action on a connection makes at most 9 promises, client and server (memory driver, metrics on)", async () => {
	await using t = await setupTest(
		setup({
			use: { counter, relaxedCounter },
			admin: { token: "promises-admin-token-0123456789" },
			logLevel: "silent",
		}),
	);
	const conn = t.client.counter.getOrCreate("p").connect();
	try {
		const perCall = await promisesPerCall(() => conn.increment());
		// 14 while an action that returned at once still went through its turn's promises
		// (before 2026-11-25); 22 when metrics timed the action and its output gate with async functions; 19
		// until an actor's writer heard its commit through a promise of the pipeline; 17
		// while metrics timed an action with a `then` and a held reply with a promise. The
		// average has half a promise of slack: background work of the process (timers of
		// the server and the client) may make a few during the 200 calls; one more promise
		// per call still fails.
		expect(perCall).toBeLessThan(9.5);
	} finally {
		await conn.dispose();
	}
});

it("a stateless HTTP action that returns at once makes at most 28 promises, client and server (memory driver)", async () => {
	const registry = setup({
		use: { counter, relaxedCounter },
		logLevel: "silent",
	});
	await using t = await setupTest(registry);
	// Tenon's own Node client (node:http keep-alive), as row 2 of the bench calls.
	const client = createClient<typeof registry>({ endpoint: t.url, encoding: "cbor" });
	try {
		const handle = client.relaxedCounter.getForId(
			await client.relaxedCounter.getOrCreate("h").resolve(),
		);
		const perCall = await promisesPerCall(() => handle.increment());
		// 52 while every layer from the body to the reply was an `async` function and
		// an action that returned at once still went through its turn's promises (before
		// 2026-11-25); half a promise of slack, as above.
		expect(perCall).toBeLessThan(28.5);
	} finally {
		await client.dispose();
	}
});
