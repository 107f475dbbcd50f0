// Code a failed run of a run provider left running, after the run failed
// (its holder ended) and while the next run takes over what it held
// (QueueLeases.reclaim): through its own RunHost it takes over, gives back,
// completes and reports nothing more, and a completion it had in flight
// decides its message (done if it succeeds, the next run's if it fails, never
// another consumer's). A review of per-run holders (2026-11-26) showed each
// case below failing. A custom provider, through the port a workflow uses.
import { describe, expect, it } from "vitest";
import type { RunHost } from "../../src/actor/run-host.js";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { turns } from "../helpers/controllable-storage.js";
import { gate, slowlyCheckedQueue, take, untilAborted } from "../helpers/queue-runs.js";

/** What the test sees of the runs. */
const seen = {
	hosts: [] as RunHost[],
	id: undefined as string | undefined,
	second: undefined as string | undefined,
	journalRead: gate(),
	completeGate: gate(),
};
function reset(): void {
	seen.hosts.length = 0;
	seen.id = undefined;
	seen.second = undefined;
	seen.journalRead = gate();
	seen.completeGate = gate();
}

/** Run 1 receives a message and fails; run 2 reads its "journal", takes it over and completes it. */
const port = actor({
	state: {},
	queues: { jobs: queue<string, string>() },
	actions: { ping: () => true, take },
	run: Object.assign(async () => {}, {
		kind: "custom",
		async run(host: RunHost) {
			seen.hosts.push(host);
			if (seen.hosts.length === 1) {
				const [message] = await host.queue.nextBatch({ count: 1, completable: true });
				if (message === undefined) return;
				seen.id = message.id;
				throw new Error("boom");
			}
			await seen.journalRead.opened;
			const view = host.queue.lease(seen.id ?? "");
			seen.second = view === undefined ? "gone" : "leased";
			if (view !== undefined) {
				await seen.completeGate.opened;
				try {
					await view.complete("run2");
					seen.second = "completed";
				} catch (error) {
					seen.second = (error as { code?: string }).code ?? String(error);
				}
			}
			await untilAborted(host.abortSignal);
		},
	}),
});

/** The check of its reply schema waits for the test. */
let endCheck: (() => void) | undefined;
let runs = 0;
let leased: string | undefined;
/** Run 1 starts a completion that fails its schema later, and fails; run 2's journal lists it. */
const completing = actor({
	state: {},
	queues: {
		strict: slowlyCheckedQueue((pass) => {
			endCheck = pass;
		}),
	},
	actions: { ping: () => true, take, size: (c) => c.queue.size },
	run: Object.assign(async () => {}, {
		kind: "custom",
		async run(host: RunHost) {
			runs++;
			if (runs === 1) {
				const [message] = await host.queue.nextBatch({ count: 1, completable: true });
				if (message === undefined) return;
				seen.id = message.id;
				void message.complete?.("bad").catch(() => {});
				throw new Error("boom");
			}
			const view = host.queue.lease(seen.id ?? "");
			leased = view === undefined ? "gone" : "leased";
			host.queue.restored();
			await untilAborted(host.abortSignal);
		},
	}),
});

let outcome: string | undefined;
let leftoverGate = gate();
let mode: "complete" | "idle" = "complete";
/** Run 1 leaves code running that completes or says it works later, and fails. */
const leftover = actor({
	state: {},
	queues: { jobs: queue<string, string>() },
	actions: { ping: () => true },
	options: { sleepTimeout: 5_000 },
	run: Object.assign(async () => {}, {
		kind: "custom",
		async run(host: RunHost) {
			runs++;
			if (runs === 1) {
				if (mode === "idle") {
					host.setIdle(false);
					// Its work ends after the next run went idle: it says "working".
					void leftoverGate.opened.then(() => host.setIdle(false));
					throw new Error("boom");
				}
				const [message] = await host.queue.nextBatch({ count: 1, completable: true });
				if (message === undefined) return;
				void leftoverGate.opened.then(async () => {
					try {
						await message.complete?.("late");
						outcome = "completed";
					} catch (error) {
						outcome = (error as { code?: string }).code ?? String(error);
					}
				});
				throw new Error("boom");
			}
			host.setIdle(true);
			await untilAborted(host.abortSignal);
		},
	}),
});

const registry = setup({ use: { port, completing, leftover }, logLevel: "silent" });

describe("a failed provider run's leftover code", () => {
	it("cannot take over the next run's message, nor complete it", async () => {
		reset();
		await using t = await setupTest(registry);
		const handle = t.client.port.getOrCreate("lease");
		await handle.ping();
		await handle.send("jobs", "first");
		await expect.poll(() => seen.id).toBeDefined();
		await t.clock.advance(1_000);
		await expect.poll(() => seen.hosts.length).toBe(2);
		seen.journalRead.open();
		await expect.poll(() => seen.second).toBe("leased");
		expect(seen.hosts[0]?.queue.lease(seen.id ?? "")).toBeUndefined();
		seen.completeGate.open();
		await expect.poll(() => seen.second).toBe("completed");
	});

	it("cannot give back the next run's message to another consumer", async () => {
		reset();
		await using t = await setupTest(registry);
		const handle = t.client.port.getOrCreate("release");
		await handle.ping();
		await handle.send("jobs", "first");
		await expect.poll(() => seen.id).toBeDefined();
		await t.clock.advance(1_000);
		await expect.poll(() => seen.hosts.length).toBe(2);
		seen.journalRead.open();
		await expect.poll(() => seen.second).toBe("leased");
		seen.hosts[0]?.queue.release([seen.id ?? ""]);
		expect(await handle.take()).toBe(null);
		seen.completeGate.open();
		await expect.poll(() => seen.second).toBe("completed");
	});

	it("receiving again does not give back what the next run has not taken over yet", async () => {
		reset();
		await using t = await setupTest(registry);
		const handle = t.client.port.getOrCreate("restored");
		await handle.ping();
		await handle.send("jobs", "first");
		await expect.poll(() => seen.id).toBeDefined();
		await t.clock.advance(1_000);
		await expect.poll(() => seen.hosts.length).toBe(2);
		// Run 2 still reads its journal; the leftover receives again (it waits for good).
		void seen.hosts[0]?.queue.nextBatch({ count: 1, completable: true }).catch(() => {});
		expect(await handle.take()).toBe(null);
		seen.journalRead.open();
		seen.completeGate.open();
		await expect.poll(() => seen.second).toBe("completed");
	});

	it("completes nothing during the restart's backoff", async () => {
		runs = 0;
		outcome = undefined;
		leftoverGate = gate();
		mode = "complete";
		await using t = await setupTest(registry);
		const handle = t.client.leftover.getOrCreate("complete");
		await handle.ping();
		await handle.send("jobs", "first");
		await expect.poll(() => runs).toBe(1);
		await t.settle();
		leftoverGate.open();
		await expect.poll(() => outcome).toBe("already_completed");
	});

	it("does not keep the actor awake once the next run is idle", async () => {
		runs = 0;
		leftoverGate = gate();
		mode = "idle";
		await using t = await setupTest(registry);
		const handle = t.client.leftover.getOrCreate("idle");
		await handle.ping();
		await t.clock.advance(1_000);
		await expect.poll(() => runs).toBe(2);
		await turns(5);
		leftoverGate.open();
		await turns(5);
		for (let i = 0; i < 40 && t.awakeActors() > 0; i++) {
			await t.clock.advance(500);
			await turns(5);
		}
		expect(t.awakeActors()).toBe(0);
	});

	it("decides a message it was completing: if that fails, the next run holds it, not another consumer", async () => {
		runs = 0;
		leased = undefined;
		endCheck = undefined;
		await using t = await setupTest(registry);
		const handle = t.client.completing.getOrCreate("x");
		await handle.ping();
		await handle.send("strict", "first");
		await expect.poll(() => endCheck).toBeDefined();
		await t.clock.advance(1_000);
		await expect.poll(() => leased).toBe("leased");
		// The failed run's completion now fails ("bad").
		const end = endCheck as (() => void) | undefined;
		endCheck = undefined;
		end?.();
		await t.settle();
		expect(await handle.size()).toBe(1);
		// The action's receive got nothing: its completion check would be waiting otherwise.
		expect(await handle.take()).toBe(null);
	});
});
