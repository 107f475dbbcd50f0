// Regressions: a waiting sender that went away kept its actor awake forever,
// and one bad message stalled a queue consumer for good (the `run` loop
// crashed, was never restarted, and got the same message again on every wake).
import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { postJson } from "../helpers/raw.js";

const mailbox = actor({
	state: {},
	queues: { jobs: queue<number>() },
	actions: { size: (c) => c.queue.size },
});

const worker = actor({
	state: { done: [] as number[], failures: 0 },
	queues: { jobs: queue<{ n: number } | null>() },
	actions: {
		done: (c) => c.state.done,
		deadLetters: (c) => c.queue.deadLetters(),
		retry: (c, id: string) => c.queue.retryDeadLetter(id),
		drop: (c, id: string) => c.queue.deleteDeadLetter(id),
	},
	run: async (c) => {
		for await (const job of c.queue.iter({ completable: true })) {
			// Crashes on a null body: the kind of bug a poison message finds.
			c.state.done.push((job.body as { n: number }).n);
			await job.complete();
		}
	},
});

const oneShotWorker = actor({
	state: { done: [] as number[] },
	queues: { jobs: queue<{ n: number } | null>() },
	actions: { done: (c) => c.state.done },
	run: async (c) => {
		for await (const job of c.queue.iter()) c.state.done.push((job.body as { n: number }).n);
	},
});

const registry = setup({
	use: { mailbox, worker, oneShotWorker },
	logLevel: "silent",
	inspector: { token: "inspector-token-0123" },
});

async function advance(
	t: { clock: { advance(ms: number): Promise<void> }; settle(): Promise<void> },
	ms: number,
) {
	await t.clock.advance(ms);
	await t.settle();
}

/** Advances the clock a second at a time until `done` (at most `limitMs`), failing past it. */
async function advanceUntil(
	t: { clock: { advance(ms: number): Promise<void> }; settle(): Promise<void> },
	done: () => Promise<boolean>,
	limitMs: number,
) {
	for (let elapsed = 0; elapsed <= limitMs; elapsed += 1_000) {
		if (await done()) return;
		await advance(t, 1_000);
	}
	throw new Error(`not done within ${limitMs} ms of the test clock`);
}

describe("a sender waiting for completion", () => {
	it("stops waiting when it goes away, so the actor can sleep", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.mailbox.getOrCreate("m");
		const gone = new AbortController();
		const waiting = fetch(`${t.url}/gateway/mailbox/queue/jobs?rvt-method=getOrCreate&rvt-key=m`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ body: 1, wait: true }),
			signal: gone.signal,
		});
		await expect.poll(() => handle.size()).toBe(1);
		gone.abort();
		await expect(waiting).rejects.toThrow();
		// The server learns of the disconnect a moment later; then the actor idles and sleeps.
		await expect
			.poll(async () => {
				await advance(t, 31_000);
				return t.awakeActors();
			})
			.toBe(0);
		// The message itself stays queued.
		expect(await handle.size()).toBe(1);
	});

	it("waits at most maxQueueWaitMs (5 minutes), even without a timeout or with a longer one", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.mailbox.getOrCreate("cap");
		const url = `${t.url}/gateway/mailbox/queue/jobs?rvt-method=getOrCreate&rvt-key=cap`;
		const untimed = postJson(url, JSON.stringify({ body: 1, wait: true }));
		const tooLong = postJson(url, JSON.stringify({ body: 2, wait: true, timeout: 36_000_000 }));
		await expect.poll(() => handle.size()).toBe(2);
		await advance(t, 5 * 60_000 - 1_000);
		await advance(t, 1_000);
		expect((await untimed).body).toEqual({ status: "timedOut" });
		expect((await tooLong).body).toEqual({ status: "timedOut" });
	});
});

describe("a run loop that fails on a message", () => {
	it("is restarted with backoff, and the message becomes a dead letter after 5 deliveries", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("w");
		await handle.send("jobs", null);
		await handle.send("jobs", { n: 1 });
		await handle.send("jobs", { n: 2 });
		await t.settle();
		// The loop restarts a second later; the bad message is held back (2 s) meanwhile, so the
		// others go first (before 2026-11-25 they waited behind it for 31 s).
		await advance(t, 1_000);
		expect(await handle.done()).toEqual([1, 2]);
		// Held back 2, 4, 8 and 16 s after its failures, then set aside at its sixth receive.
		await advanceUntil(t, async () => (await handle.deadLetters()).length === 1, 80_000);
		const [dead] = await handle.deadLetters();
		expect(dead).toMatchObject({ name: "jobs", body: null, deliveries: 5 });
		expect(dead?.reason).toMatch(/delivered 5 times/);

		// The inspector API shows it too (committed data, actor awake or not).
		const actorId = await handle.resolve();
		await t.settle();
		const inspected = await fetch(`${t.url}/inspector/actors/${actorId}/queue`, {
			headers: { authorization: "Bearer inspector-token-0123" },
		});
		expect(await inspected.json()).toMatchObject({
			messages: [],
			deadLetters: [{ id: dead?.id, name: "jobs", deliveries: 5 }],
		});

		// Retried, it fails again (and is set aside again); deleted, it is gone.
		expect(await handle.retry(dead?.id as string)).toBe(true);
		expect(await handle.deadLetters()).toEqual([]);
		await advanceUntil(t, async () => (await handle.deadLetters()).length === 1, 300_000);
		expect(await handle.drop(dead?.id as string)).toBe(true);
		expect(await handle.drop(dead?.id as string)).toBe(false);
		expect(await handle.deadLetters()).toEqual([]);
	});

	it("counts deliveries across restarts of the server", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("r");
		await handle.send("jobs", null);
		await t.settle();
		await t.restart();
		await handle.done();
		await t.settle();
		await t.restart();
		await handle.done();
		await t.settle();
		await advanceUntil(t, async () => (await handle.deadLetters()).length === 1, 80_000);
		expect((await handle.deadLetters())[0]?.deliveries).toBe(5);
	});

	it("without completable messages, loses only the bad message and goes on", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.oneShotWorker.getOrCreate("o");
		await handle.send("jobs", null);
		await handle.send("jobs", { n: 7 });
		await t.settle();
		await advance(t, 1_000);
		await expect.poll(() => handle.done()).toEqual([7]);
	});
});
