import { describe, expect, it } from "vitest";
import { z } from "zod";
import { actor, memoryDriver, queue, setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const seen: string[] = [];

/**
 * Advances the test clock in steps until `promise` settles: the request
 * behind it has to reach the actor (and arm its timer) before time can fire it.
 */
async function advanceUntilSettled<T>(
	clock: { advance(ms: number): Promise<void> },
	promise: Promise<T>,
	stepMs: number,
): Promise<T> {
	let settled = false;
	const watched = promise.finally(() => {
		settled = true;
	});
	for (let i = 0; i < 100 && !settled; i++) {
		await new Promise((resolve) => setTimeout(resolve, 5));
		await clock.advance(stepMs);
	}
	return watched;
}

/** A worker whose run loop completes jobs with a reply. */
const worker = actor({
	state: { processed: [] as string[], runs: 0 },
	queues: {
		jobs: queue<{ id: string; fail?: boolean }, { done: string }>(),
		notes: queue<string>({ message: z.string().max(20) }),
	},
	run: async (c) => {
		c.state.runs++;
		for await (const message of c.queue.iter({ names: ["jobs"], completable: true })) {
			seen.push(message.body.id);
			if (message.body.fail) continue; // left uncompleted: stays stored
			c.state.processed.push(message.body.id);
			await message.complete({ done: message.body.id });
		}
	},
	actions: {
		processed: (c) => c.state.processed,
		runs: (c) => c.state.runs,
		size: (c) => c.queue.size,
		enqueueNote: (c, text: string) => c.queue.send("notes", text),
		takeNotes: async (c, count: number) =>
			(await c.queue.nextBatch({ names: ["notes"], count, timeout: 1_000 })).map((m) => m.body),
		peekNote: async (c) => (await c.queue.tryNext({ names: ["notes"] }))?.body ?? null,
		waitNote: async (c, timeout: number) =>
			(await c.queue.next({ names: ["notes"], timeout }))?.body ?? null,
	},
	options: { sleepTimeout: 5_000, maxQueueSize: 5, maxQueueMessageSize: 256 },
});

/** A mailbox without a run loop: messages wait for an action to take them. */
const mailbox = actor({
	state: {},
	queues: { mail: queue<string, string>() },
	actions: {
		take: async (c) => {
			const message = await c.queue.tryNext({ completable: true });
			if (!message) return null;
			await message.complete(`re: ${message.body}`);
			return message.body;
		},
		takeWithoutCompleting: async (c) =>
			(await c.queue.tryNext({ completable: true }))?.body ?? null,
		takePlain: async (c) => (await c.queue.tryNext())?.body ?? null,
		/** Receives completable, then fails before completing. */
		takeAndFail: async (c) => {
			const message = await c.queue.tryNext({ completable: true });
			throw new UserError(`could not handle ${message?.body}`, { code: "unhandled" });
		},
		takeId: async (c) => (await c.queue.tryNext())?.id ?? null,
		/** next() with a signal that is already aborted: rejected, or what it took. */
		takeAborted: async (c) => {
			const controller = new AbortController();
			controller.abort(new Error("gave up"));
			try {
				return (await c.queue.next({ signal: controller.signal }))?.body ?? null;
			} catch (error) {
				return (error as Error).message;
			}
		},
		size: (c) => c.queue.size,
		ping: () => "pong",
	},
	options: { sleepTimeout: 5_000 },
});

const registry = setup({ use: { worker, mailbox }, logLevel: "silent" });

describe("queues", () => {
	it("answers a waiting sender with the completion, and a plain send at once", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("w");
		const result = await handle.send("jobs", { id: "a" }, { wait: true, timeout: 5_000 });
		expect(result).toEqual({ status: "completed", response: { done: "a" } });
		expect(await handle.send("jobs", { id: "b" })).toBeUndefined();
		await expect.poll(() => handle.processed()).toEqual(["a", "b"]);
		expect(await handle.size()).toBe(0);
	});

	it("returns timedOut when nobody completes in time (the test clock moves)", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.mailbox.getOrCreate("slow");
		const pending = handle.send("mail", "hello", { wait: true, timeout: 2_000 });
		expect(await advanceUntilSettled(t.clock, pending, 1_000)).toEqual({ status: "timedOut" });
		expect(await handle.size()).toBe(1);
		// A later completion still works for the stored message.
		expect(await handle.take()).toBe("hello");
	});

	it("answers a waiting sender at a stop without making the stop wait for it", async () => {
		// A waiting sender keeps the actor from sleeping, but it is a wait, not work: a stop
		// waited its whole grace period for it before (15 s per restart while a client waited).
		await using t = await setupTest(registry);
		const handle = t.client.mailbox.getOrCreate("stopping");
		await handle.ping();
		const pending = handle.send("mail", "hello", { wait: true, timeout: 120_000 });
		await expect.poll(() => handle.size()).toBe(1);
		// The test clock stands still: a stop that waits for the sender never ends.
		await t.restart();
		expect(await pending).toEqual({ status: "timedOut" });
		expect(await handle.take()).toBe("hello");
	}, 10_000);

	it("keeps completable messages until completed and redelivers them after a restart", async () => {
		const storage = memoryDriver();
		await using t = await setupTest(registry, { storage });
		const handle = t.client.mailbox.getOrCreate("redeliver");
		await handle.send("mail", "first");
		await handle.send("mail", "second");
		expect(await handle.takeWithoutCompleting()).toBe("first");
		expect(await handle.takePlain()).toBe("second"); // plain receive removes it
		expect(await handle.size()).toBe(1);
		await t.restart();
		const after = t.client.mailbox.getOrCreate("redeliver");
		expect(await after.size()).toBe(1);
		expect(await after.take()).toBe("first");
		expect(await after.size()).toBe(0);
	});

	// The queue is made on first use (or on wake when messages or dead letters
	// are stored): an actor whose stored queue is empty still numbers on.
	it("gives a completable message back when the action that received it fails", async () => {
		// Before (2026-11-26) it stayed leased until the actor stopped: with clients connected,
		// for as long as they were, and its waiting sender with it.
		await using t = await setupTest(registry);
		const handle = t.client.mailbox.getOrCreate("fails");
		const reply = handle.send("mail", "hello", { wait: true, timeout: 5_000 });
		await expect.poll(() => handle.size()).toBe(1);
		await expect(handle.takeAndFail()).rejects.toMatchObject({ code: "unhandled" });
		// Available at once to the next receive; its completion reaches the waiting sender.
		expect(await handle.take()).toBe("hello");
		expect(await reply).toEqual({ status: "completed", response: "re: hello" });
		// An action that ends without failing keeps what it did not complete.
		await handle.send("mail", "kept");
		expect(await handle.takeWithoutCompleting()).toBe("kept");
		expect(await handle.take()).toBeNull();
		expect(await handle.size()).toBe(1);
	});

	it("numbers messages on after a sleep that found the queue empty (no id is reused)", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.mailbox.getOrCreate("numbering");
		await handle.send("mail", "first");
		expect(await handle.takeId()).toBe("1");
		await t.clock.advance(5_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		// Woken by an action that does not touch the queue, then a message comes.
		expect(await handle.ping()).toBe("pong");
		await handle.send("mail", "second");
		expect(await handle.size()).toBe(1);
		expect(await handle.takeId()).toBe("2");
	});

	it("wakes a sleeping actor whose run loop waits on the queue", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("sleepy");
		expect(await handle.runs()).toBe(1);
		// The run loop is blocked on the queue, which does not keep the actor awake.
		await t.clock.advance(5_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await handle.send("jobs", { id: "wake" });
		await expect.poll(() => handle.processed()).toEqual(["wake"]);
		expect(await handle.runs()).toBe(2);
	});

	it("supports batches, non-blocking reads and receive timeouts on the test clock", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("notes");
		expect(await handle.peekNote()).toBeNull();
		expect(await advanceUntilSettled(t.clock, handle.waitNote(3_000), 1_000)).toBeNull();
		await handle.enqueueNote("one");
		await handle.send("notes", "two");
		await handle.send("notes", "three");
		expect(await handle.takeNotes(2)).toEqual(["one", "two"]);
		expect(await handle.peekNote()).toBe("three");
	});

	it("takes nothing for a receive whose own signal is already aborted (a plain message was removed)", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.mailbox.getOrCreate("aborted");
		await handle.send("mail", "m1");
		expect(await handle.takeAborted()).toBe("gave up");
		expect(await handle.size()).toBe(1);
		expect(await handle.takePlain()).toBe("m1");
	});

	it("refuses unknown queues, invalid and oversized messages, and a full queue", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("limits");
		// @ts-expect-error not a declared queue
		await expect(handle.send("nope", 1)).rejects.toMatchObject({
			group: "queue",
			code: "not_found",
		});
		await expect(handle.send("notes", "x".repeat(21))).rejects.toMatchObject({
			group: "queue",
			code: "invalid_message",
		});
		await expect(handle.send("jobs", { id: "y".repeat(300) })).rejects.toMatchObject({
			group: "queue",
			code: "message_too_large",
		});
		for (let i = 0; i < 5; i++) await handle.send("jobs", { id: `f${i}`, fail: true });
		await expect(handle.send("jobs", { id: "overflow" })).rejects.toMatchObject({
			group: "queue",
			code: "full",
		});
		const raw = await fetch(`${t.url}/gateway/worker/queue/jobs?rvt-method=get&rvt-key=limits`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ body: { id: "z" }, wait: "yes" }),
		});
		expect(raw.status).toBe(400);
		expect((await raw.json()).code).toBe("invalid");
	});

	it("speaks the queue route RivetKit's client uses", async () => {
		await using t = await setupTest(registry);
		const response = await fetch(
			`${t.url}/gateway/mailbox/queue/mail?rvt-method=getOrCreate&rvt-key=rk`,
			{
				method: "POST",
				headers: { "content-type": "application/json", "x-rivet-encoding": "json" },
				body: JSON.stringify({ body: "hi", wait: false, name: "mail" }),
			},
		);
		expect(await response.json()).toEqual({ status: "completed" });
		expect(await t.client.mailbox.getOrCreate("rk").size()).toBe(1);
	});
});
