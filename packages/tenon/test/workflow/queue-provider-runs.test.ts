// A run provider's run that fails while some of its code still runs: the
// RunLoop restarts it after 1 s, and the new run holds what the failed one
// held (QueueLeases.reclaim). Each run is a holder of its own, ended when it
// fails, so the failed run's leftover code takes and completes nothing more;
// a completion it had in flight decides its message, given back if it fails.
// With one "provider" holder for every run, each case below failed (a review,
// 2026-11-26). A custom provider, through the same port a workflow uses.
import { describe, expect, it } from "vitest";
import type { RunHost } from "../../src/actor/run-host.js";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { slowlyCheckedQueue, take } from "../helpers/queue-runs.js";

const lives: string[][] = [];
let gate: () => void = () => {};
let opened: Promise<void> = Promise.resolve();
let lateOutcome: string | undefined;
let slowEnd: (() => void) | undefined;
let mode: "leftover-receive" | "leftover-complete" | "completing" = "leftover-receive";

function closeGate() {
	lateOutcome = undefined;
	opened = new Promise<void>((r) => {
		gate = r;
	});
}

const flaky = actor({
	state: {},
	queues: {
		jobs: queue<string, string>(),
		strict: slowlyCheckedQueue((pass) => {
			slowEnd = pass;
		}),
	},
	actions: { ping: () => true, take, size: (c) => c.queue.size },
	run: Object.assign(async () => {}, {
		kind: "flaky",
		async run(host: RunHost) {
			const life: string[] = [];
			lives.push(life);
			if (lives.length === 1) {
				if (mode === "leftover-receive") {
					// A receive of this run is still waiting when the run fails (Promise.all of a
					// receive loop and other work that throws, say).
					void host.queue
						.nextBatch({ count: 1, completable: true, signal: host.abortSignal })
						.then((got) => life.push(...got.map((m) => `leftover:${m.body as string}`)))
						.catch(() => {});
					throw new Error("boom");
				}
				const [m] = await host.queue.nextBatch({
					count: 1,
					completable: true,
					signal: host.abortSignal,
				});
				if (m === undefined) return;
				life.push(m.body as string);
				if (mode === "leftover-complete") {
					// Its processing goes on after the run failed, and completes it later.
					void (async () => {
						await opened;
						try {
							await m.complete?.("late");
							lateOutcome = "completed";
						} catch (error) {
							lateOutcome = (error as { code?: string }).code ?? String(error);
						}
					})();
				} else {
					// A completion whose reply schema is being checked when the run fails.
					void m.complete?.("bad").catch(() => {});
				}
				throw new Error("boom");
			}
			for (;;) {
				const [m] = await host.queue
					.nextBatch({ count: 1, completable: true, signal: host.abortSignal })
					.catch(() => []);
				if (m === undefined) return;
				life.push(m.body as string);
				if (mode !== "leftover-complete") await m.complete?.("ok").catch(() => {});
			}
		},
	}),
});

const registry = setup({ use: { flaky }, logLevel: "silent" });

describe("a run provider's failed run, still running after its restart", () => {
	it("a leftover receive of the failed run does not take the next run's messages", async () => {
		lives.length = 0;
		mode = "leftover-receive";
		await using t = await setupTest(registry);
		const handle = t.client.flaky.getOrCreate("a");
		await handle.ping();
		await expect.poll(() => lives.length).toBe(1);
		await t.clock.advance(1_000);
		await expect.poll(() => lives.length).toBe(2);
		await handle.send("jobs", "first");
		await t.settle();
		// It went to the failed run's receive before: nobody processed it, nobody else got it.
		expect({ lives, take: await handle.take() }).toEqual({ lives: [[], ["first"]], take: null });
	});

	it("a failed run's leftover code cannot complete a message the next run received", async () => {
		lives.length = 0;
		mode = "leftover-complete";
		closeGate();
		await using t = await setupTest(registry);
		const handle = t.client.flaky.getOrCreate("b");
		await handle.ping();
		await handle.send("jobs", "first");
		await expect.poll(() => lives[0]).toEqual(["first"]);
		await t.clock.advance(1_000);
		// The new run got it again (the failed run's lease went back): it is processing it.
		await expect.poll(() => lives[1]).toEqual(["first"]);
		gate();
		await expect.poll(() => lateOutcome).toBeDefined();
		// As for actions and `run` functions: only the current holder completes it.
		expect(lateOutcome).toBe("already_completed");
	});

	it("a completion in flight when the run failed: if it fails, the message goes back", async () => {
		lives.length = 0;
		mode = "completing";
		await using t = await setupTest(registry);
		const handle = t.client.flaky.getOrCreate("c");
		await handle.ping();
		await handle.send("strict", "first");
		await expect.poll(() => lives[0]).toEqual(["first"]);
		await expect.poll(() => slowEnd).toBeDefined();
		await t.clock.advance(1_000);
		await expect.poll(() => lives.length).toBe(2);
		await t.settle();
		// The schema check ends: "bad" is refused.
		const end = slowEnd;
		slowEnd = undefined;
		end?.();
		await t.settle();
		// Given back when "bad" was refused (it stayed leased to nobody before): the second run,
		// waiting, receives it and completes it.
		await expect.poll(() => lives[1]).toEqual(["first"]);
		await expect.poll(() => slowEnd).toBeDefined();
		(slowEnd as (() => void) | undefined)?.();
		await expect.poll(() => handle.size()).toBe(0);
	});
});
