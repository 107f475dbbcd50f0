// What an action holds of the queues (QueueLeases.releaseHolder): the
// completable messages it received go back when its code fails, whenever that
// is (also after the action timed out); a timeout alone releases nothing (the
// code still runs and may complete them); only the receiver that holds a
// message completes it; what a failed action still waits for ends with
// nothing; a careful hand-out still waiting for its commit is given back when
// it arrives, never to another holder's loss. Found by a review of the first
// release (2026-11-26): each case below failed on it.
import { describe, expect, it } from "vitest";
import { actor, memoryDriver, queue, setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { controllableStorage, turns } from "../helpers/controllable-storage.js";
import { slowlyCheckedQueue } from "../helpers/queue-runs.js";

/** What code left running after its action ended saw. */
const late = {
	gate: () => {},
	opened: Promise.resolve(),
	outcome: undefined as string | undefined,
};
function closeLateGate(): void {
	late.outcome = undefined;
	late.opened = new Promise<void>((resolve) => {
		late.gate = resolve;
	});
}
let received = 0;
const spin = { receives: 0 };
let waiting = false;
/** The slow reply schema's check, waiting for the test to let it end. */
const slowCheck: { end?: () => void } = {};
const endSlowCheck = () => slowCheck.end?.();

/** Completes `complete` once the late gate opens, recording how that went. */
async function completeLate(complete: (reply: string) => Promise<void>): Promise<void> {
	await late.opened;
	try {
		await complete("late");
		late.outcome = "completed";
	} catch (error) {
		late.outcome = (error as { code?: string }).code ?? String(error);
	}
}

const box = actor({
	state: {},
	queues: {
		mail: queue<string, string>(),
		// A reply schema that checks slowly (until the test lets it go).
		strict: slowlyCheckedQueue((pass) => {
			slowCheck.end = pass;
		}),
	},
	actions: {
		/** Receives, works past the action's timeout, then completes. */
		slowTake: async (c) => {
			const message = await c.queue.next({ names: ["mail"], completable: true });
			received++;
			await completeLate(async (reply) => message?.complete(reply));
		},
		/** Receives, leaves a task that completes later, and fails. */
		failButCompleteLater: async (c) => {
			const message = await c.queue.next({ names: ["mail"], completable: true });
			void completeLate(async (reply) => message?.complete(reply));
			throw new UserError("failed", { code: "failed" });
		},
		/** Waits for a message (past the timeout), then its processing fails. */
		waitThenFail: async (c) => {
			waiting = true;
			const message = await c.queue.next({ names: ["mail"], completable: true });
			received++;
			throw new UserError(`could not handle ${message?.body}`, { code: "unhandled" });
		},
		/** Completes with a reply its schema checks slowly. */
		completeStrict: async (c, reply: string) => {
			const message = await c.queue.next({ names: ["strict"], completable: true });
			await message?.complete(reply);
		},
		takeStrict: async (c) => {
			const message = await c.queue.tryNext({ names: ["strict"], completable: true });
			if (!message) return null;
			slowCheck.end = undefined;
			const done = message.complete("ok");
			endSlowCheck();
			await done;
			return message.body;
		},
		/** Starts a completable receive it does not await, gives up on it, and fails. */
		raceFail: (c) => {
			const controller = new AbortController();
			c.queue
				.next({ names: ["mail"], completable: true, signal: controller.signal })
				.catch(() => {});
			controller.abort(new Error("gave up"));
			throw new UserError("failed", { code: "failed" });
		},
		take: async (c) => {
			const message = await c.queue.tryNext({ names: ["mail"], completable: true });
			if (!message) return null;
			await message.complete(`re: ${message.body}`);
			return message.body;
		},
		keep: async (c) =>
			(await c.queue.tryNext({ names: ["mail"], completable: true }))?.body ?? null,
		/** Leaves an iter() loop running and fails; the loop counts its receives. */
		iterThenFail: async (c) => {
			const controller = new AbortController();
			// Read once per receive (QueueManager.receive makes a Set of it): bounds a spin.
			const names = {
				[Symbol.iterator]() {
					spin.receives++;
					if (spin.receives >= 100_000) controller.abort(new Error("bounded by the test"));
					return ["mail"][Symbol.iterator]();
				},
			};
			void (async () => {
				for await (const _ of c.queue.iter({
					names: names as unknown as "mail"[],
					signal: controller.signal,
				})) {
					// consumes
				}
			})();
			await Promise.resolve();
			throw new UserError("failed", { code: "failed" });
		},
		size: (c) => c.queue.size,
		deadLetters: async (c) => (await c.queue.deadLetters()).length,
	},
	/** Receives a message completable and fails (an `onRequest` hook is held as an action is). */
	onRequest: async (c) => {
		const message = await c.queue.tryNext({ names: ["mail"], completable: true });
		throw new UserError(`could not handle ${message?.body}`, { code: "unhandled" });
	},
	options: { actionTimeout: 5_000, sleepTimeout: 60_000, maxQueueDeliveries: 2 },
});

const registry = setup({ use: { box }, logLevel: "silent" });

describe("an action's queue leases", () => {
	it("of an onRequest hook that fails go back too", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.box.getOrCreate("request");
		await handle.send("mail", "hello");
		const response = await handle.fetch("/handle", { method: "POST" });
		expect(response.status).toBeGreaterThanOrEqual(400);
		// Before 2026-11-26 the hook kept it until the actor stopped.
		expect(await handle.take()).toBe("hello");
	});

	it("are kept past a timeout: the code still runs and completes; nobody else gets the message", async () => {
		closeLateGate();
		received = 0;
		await using t = await setupTest(registry);
		const handle = t.client.box.getOrCreate("timeout");
		const answer = handle.send("mail", "hello", { wait: true, timeout: 60_000 });
		await expect.poll(() => handle.size()).toBe(1);
		const slow = handle.slowTake().catch((error: unknown) => error);
		await expect.poll(() => received).toBe(1);
		await t.clock.advance(5_000);
		expect(await slow).toMatchObject({ code: "action_timed_out" });
		expect(await handle.keep()).toBeNull();
		late.gate();
		await expect.poll(() => late.outcome).toBe("completed");
		expect(await answer).toEqual({ status: "completed", response: "late" });
	});

	it("go back when the code fails; its leftover task cannot complete what another receiver holds", async () => {
		closeLateGate();
		await using t = await setupTest(registry);
		const handle = t.client.box.getOrCreate("leftover");
		await handle.send("mail", "hello");
		await expect(handle.failButCompleteLater()).rejects.toMatchObject({ code: "failed" });
		expect(await handle.keep()).toBe("hello");
		late.gate();
		await expect.poll(() => late.outcome).toBe("already_completed");
		// Still the second receiver's: nobody else gets it.
		expect(await handle.take()).toBeNull();
		expect(await handle.size()).toBe(1);
	});

	it("go back when the code fails after its timeout, and a receive it still waits on takes nothing", async () => {
		received = 0;
		waiting = false;
		await using t = await setupTest(registry);
		const handle = t.client.box.getOrCreate("late-fail");
		const failing = handle.waitThenFail().catch((error: unknown) => error);
		await expect.poll(() => waiting).toBe(true);
		await turns(5);
		await t.clock.advance(5_000);
		expect(await failing).toMatchObject({ code: "action_timed_out" });
		await handle.send("mail", "hello");
		await expect.poll(() => received).toBe(1);
		await turns(20);
		// It received and failed: the message is back.
		expect(await handle.take()).toBe("hello");
		// A receive the failed code left waiting ends with nothing.
		await handle.send("mail", "second");
		expect(await handle.take()).toBe("second");
	});

	it("are released after a completion that was being checked fails, not kept for good", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.box.getOrCreate("completing");
		await handle.send("strict", "x");
		slowCheck.end = undefined;
		const failing = handle.completeStrict("bad").catch((error: unknown) => error);
		await expect.poll(() => slowCheck.end !== undefined).toBe(true);
		await t.clock.advance(5_000);
		expect(await failing).toMatchObject({ code: "action_timed_out" });
		endSlowCheck();
		await turns(20);
		expect(await handle.size()).toBe(1);
		expect(await handle.takeStrict()).toBe("x");
	});

	it("that are still being handed out carefully are given back when they arrive, to nobody's loss", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		using _ = { [Symbol.dispose]: () => storage.release() };
		const handle = t.client.box.getOrCreate("handing-out");
		await handle.send("mail", "hello");
		await t.settle();
		storage.hold();
		// The first hand-out of the actor's life waits for its commit; the action fails first.
		const failed = handle.raceFail().catch((error: unknown) => error);
		await expect.poll(() => storage.held).toBeGreaterThan(0);
		// Nobody else takes it while it is handed out (it was released to a second receiver,
		// and the give-back then unleased that one's).
		const second = handle.keep();
		await turns(20);
		storage.release();
		expect(await failed).toMatchObject({ code: "failed" });
		expect(await second).toBeNull();
		// Given back with its count restored (two deliveries allowed: counted twice, it would
		// be a dead letter now, and stored twice after a restart).
		expect(await handle.keep()).toBe("hello");
		await t.restart();
		const after = t.client.box.getOrCreate("handing-out");
		expect(await after.deadLetters()).toBe(0);
		expect(await after.take()).toBe("hello");
		expect(await after.size()).toBe(0);
		expect(await after.deadLetters()).toBe(0);
	});

	it("end a loop the failed code left running: it neither spins nor takes anything", async () => {
		// Answered at once with nothing, an iter() loop spun through receives and starved the
		// event loop (a second review).
		spin.receives = 0;
		await using t = await setupTest(registry);
		const handle = t.client.box.getOrCreate("iter");
		expect(await handle.size()).toBe(0);
		await expect(handle.iterThenFail()).rejects.toMatchObject({ code: "failed" });
		await turns(50);
		expect(spin.receives).toBeLessThan(10);
		await handle.send("mail", "hello");
		expect(await handle.take()).toBe("hello");
	});
});
