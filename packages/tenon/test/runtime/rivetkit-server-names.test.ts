// RivetKit 2.3 server APIs an app ported from it calls (a walkthrough,
// 2026-11-28): `c.queue.waitForNames(names, options)`, `c.queue.enqueueAndWait`
// and `conn.isHibernatable`.
import { expect, expectTypeOf, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const desk = actor({
	state: { taken: [] as string[] },
	queues: { tickets: queue<{ n: number }, string>(), notes: queue<string>() },
	actions: {
		take: async (c) => {
			const message = await c.queue.waitForNames(["tickets"], {
				timeout: 1_000,
				completable: true,
			});
			if (message === undefined) return "none";
			expectTypeOf(message.body).toEqualTypeOf<{ n: number }>();
			await message.complete(`ticket ${message.body.n}`);
			c.state.taken.push(message.name);
			return `took ${message.body.n}`;
		},
		hibernates: (c) => c.conn.isHibernatable,
		// No run loop completes tickets here: the wait times out, the message stays queued.
		ask: (c) => c.queue.enqueueAndWait("tickets", { n: 9 }, { timeout: 1_000 }),
		// Plain JavaScript may give one name as a string: that name, not its letters.
		takeNamed: async (c) =>
			(await c.queue.waitForNames("notes" as unknown as ["notes"], { timeout: 1_000 }))?.body,
	},
});
const worker = actor({
	state: { done: 0 },
	queues: { jobs: queue<{ n: number }, { doubled: number }>() },
	run: async (c) => {
		for await (const job of c.queue.iter({ names: ["jobs"], completable: true })) {
			c.state.done++;
			await job.complete({ doubled: job.body.n * 2 });
		}
	},
	actions: {
		double: async (c, n: number) => {
			const result = await c.queue.enqueueAndWait("jobs", { n }, { timeout: 5_000 });
			expectTypeOf(result.response).toEqualTypeOf<{ doubled: number } | undefined>();
			return result;
		},
		badTimeout: (c) => c.queue.enqueueAndWait("jobs", { n: 1 }, { timeout: -1 }),
		done: (c) => c.state.done,
	},
});

const registry = setup({ use: { desk, worker }, logLevel: "silent" });

it("enqueueAndWait waits for the run loop's completion and its reply", async () => {
	await using t = await setupTest(registry);
	const handle = t.client.worker.getOrCreate("w");
	expect(await handle.double(21)).toEqual({ status: "completed", response: { doubled: 42 } });
	expect(await handle.done()).toBe(1);
	await expect(handle.badTimeout()).rejects.toMatchObject({
		group: "queue",
		code: "invalid_options",
	});
	const desk = t.client.desk.getOrCreate("timeout");
	let answer: unknown;
	const asked = desk.ask().then((value) => {
		answer = value;
	});
	await expect
		.poll(async () => {
			await t.clock.advance(1_000);
			return answer;
		})
		.toEqual({ status: "timedOut" });
	await asked;
	expect(await desk.take()).toBe("took 9");
});

it("waitForNames takes the next message of those names only", async () => {
	await using t = await setupTest(registry);
	const handle = t.client.desk.getOrCreate("d");
	await handle.send("notes", "not this one");
	await handle.send("tickets", { n: 7 });
	expect(await handle.take()).toBe("took 7");
	// Only the note is left: the wait times out (the test kit's clock).
	let answer: string | undefined;
	const none = handle.take().then((value) => {
		answer = value;
	});
	await expect
		.poll(async () => {
			await t.clock.advance(1_000);
			return answer;
		})
		.toBe("none");
	await none;
	expect(await handle.takeNamed()).toBe("not this one");
});

it("isHibernatable: true for a stored connection, false for an HTTP action's", async () => {
	await using t = await setupTest(registry);
	const handle = t.client.desk.getOrCreate("h");
	expect(await handle.hibernates()).toBe(false);
	const conn = handle.connect();
	expect(await conn.hibernates()).toBe(true);
	await conn.dispose();
});
