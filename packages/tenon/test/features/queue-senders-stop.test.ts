// Waiting senders (`send(..., { wait: true })`) and the actor's stop: they
// keep it from sleeping, a destroy or a sleep answers them, and a message the
// stop hook completes answers its sender `completed`. Before 2026-11-26 the
// senders were answered `timedOut` before the hook ran, and the server then
// cut the connection the answer went out on (a review).
import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { turns } from "../helpers/controllable-storage.js";

const box = actor({
	state: {},
	queues: { mail: queue<string, string>() },
	actions: {
		ping: () => true,
		size: (c) => c.queue.size,
		bye: (c) => {
			c.destroy();
			return true;
		},
		nap: (c) => {
			c.sleep();
			return true;
		},
	},
	options: { sleepTimeout: 1_000 },
});

/** Its onSleep completes what is queued. */
const hooked = actor({
	state: {},
	queues: { mail: queue<string, string>() },
	actions: { ping: () => true, size: (c) => c.queue.size },
	onSleep: async (c) => {
		const m = await c.queue.tryNext({ completable: true });
		await m?.complete("from onSleep");
	},
	options: { sleepTimeout: 1_000 },
});

const registry = setup({ use: { box, hooked }, logLevel: "silent" });

describe("waiting senders and the stop", () => {
	it("do not let the actor sleep while they wait", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.box.getOrCreate("a");
		await handle.ping();
		const answer = handle.send("mail", "x", { wait: true, timeout: 10_000 });
		await expect.poll(() => handle.size()).toBe(1);
		await t.clock.advance(5_000);
		await turns(10);
		expect(t.awakeActors()).toBe(1);
		await t.clock.advance(5_000);
		expect(await answer).toEqual({ status: "timedOut" });
	});

	it("are answered by a destroy", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.box.getOrCreate("d");
		await handle.ping();
		// Its failure is caught at once (it comes while the test waits for the destroy).
		const answer = handle
			.send("mail", "x", { wait: true, timeout: 100_000 })
			.catch((error: { group?: string; code?: string }) => `${error.group}/${error.code}`);
		await expect.poll(() => handle.size()).toBe(1);
		await handle.bye();
		await t.settle();
		// The message went with the actor: not `timedOut` ("stays queued") since 2026-11-28.
		expect(await answer).toBe("actor/not_found");
	}, 10_000);

	it("are answered by c.sleep()", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.box.getOrCreate("s");
		await handle.ping();
		const answer = handle.send("mail", "x", { wait: true, timeout: 100_000 });
		await expect.poll(() => handle.size()).toBe(1);
		await handle.nap();
		await t.settle();
		expect(await answer).toEqual({ status: "timedOut" });
		expect(await handle.size()).toBe(1);
	}, 10_000);

	it("whose message onSleep completes: not told timedOut while it was completed", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.hooked.getOrCreate("h");
		await handle.ping();
		const answer = handle.send("mail", "x", { wait: true, timeout: 100_000 });
		await expect.poll(() => handle.size()).toBe(1);
		await t.restart();
		const got = await answer;
		const size = await handle.size();
		// Consistent: completed and gone, or timedOut and still queued.
		expect({ got, size }).toEqual({
			got: { status: "completed", response: "from onSleep" },
			size: 0,
		});
	}, 10_000);
});
