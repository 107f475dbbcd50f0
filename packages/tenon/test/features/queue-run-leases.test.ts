// What one run of the `run` handler holds of the queues: its own lease
// holder per run (QueueManager.newRunView), so a run that fails with a
// receive still out (raced with something that failed) gives back what is
// in flight, takes nothing more for nobody, and its leftover code cannot
// complete what the restarted run holds. One holder "run" for every run got
// all three wrong (a review, 2026-11-26).
import { describe, expect, it } from "vitest";
import { actor, memoryDriver, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { controllableStorage, turns } from "../helpers/controllable-storage.js";
import { gate } from "../helpers/queue-runs.js";

const code = (error: unknown) => (error as { code?: string }).code ?? String(error);

const probe = { runs: 0, done: [] as string[], fail: () => {}, failing: Promise.resolve() };
function arm(): void {
	probe.runs = 0;
	probe.done = [];
	probe.failing = new Promise<void>((_, reject) => {
		probe.fail = () => reject(new Error("init failed"));
	});
	probe.failing.catch(() => {});
}

const worker = actor({
	state: {},
	queues: { jobs: queue<string, string>() },
	run: async (c) => {
		probe.runs++;
		if (probe.runs === 1)
			await Promise.all([c.queue.next({ names: ["jobs"], completable: true }), probe.failing]);
		for await (const m of c.queue.iter({ names: ["jobs"], completable: true })) {
			probe.done.push(m.body);
			await m.complete("ok");
		}
	},
	actions: {
		size: (c) => c.queue.size,
	},
	options: { sleepTimeout: 600_000 },
});

const staleProbe = {
	runs: 0,
	late: gate(),
	work: gate(),
	stale: undefined as string | undefined,
	fresh: undefined as string | undefined,
	freshSaw: [] as string[],
};

const staleWorker = actor({
	state: {},
	queues: { jobs: queue<string, string>() },
	run: async (c) => {
		const incarnation = ++staleProbe.runs;
		if (incarnation === 1) {
			const m = await c.queue.next({ names: ["jobs"], completable: true });
			void (async () => {
				await staleProbe.late.opened;
				try {
					await m?.complete("stale, from the failed run");
					staleProbe.stale = "completed";
				} catch (error) {
					staleProbe.stale = code(error);
				}
			})();
			throw new Error("run 1 failed");
		}
		for await (const m of c.queue.iter({ names: ["jobs"], completable: true })) {
			staleProbe.freshSaw.push(m.body);
			await staleProbe.work.opened;
			try {
				await m.complete(`from run ${incarnation}`);
				staleProbe.fresh = "completed";
			} catch (error) {
				staleProbe.fresh = code(error);
			}
		}
	},
	actions: { size: (c) => c.queue.size },
	options: { sleepTimeout: 600_000 },
});

const registry = setup({ use: { worker, staleWorker }, logLevel: "silent" });

describe("a failed run's receive still out", () => {
	it("a careful hand-out in flight at the failure reaches the restarted loop", async () => {
		arm();
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		using _ = { [Symbol.dispose]: () => storage.release() };
		const handle = t.client.worker.getOrCreate("careful");
		expect(await handle.size()).toBe(0);
		await t.settle();
		storage.hold();
		const sent = handle.send("jobs", "a");
		await expect.poll(() => storage.held).toBeGreaterThan(0);
		probe.fail(); // the run fails while its hand-out waits for the commit
		await turns(20);
		storage.release();
		for (let i = 0; i < 20; i++) {
			await t.clock.advance(1_000);
			await turns(5);
		}
		await sent;
		expect(probe.runs).toBe(2);
		expect(probe.done).toEqual(["a"]);
	});

	it("a receive left waiting by the failed run takes nothing from the restarted loop", async () => {
		arm();
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("waiting");
		expect(await handle.size()).toBe(0);
		await turns(10);
		probe.fail(); // the run fails while its receive waits (queue empty)
		await turns(10);
		await t.clock.advance(1_000); // restarted
		await turns(10);
		expect(probe.runs).toBe(2);
		await handle.send("jobs", "a");
		for (let i = 0; i < 20; i++) {
			await t.clock.advance(1_000);
			await turns(5);
		}
		expect(probe.done).toEqual(["a"]);
	});
});

describe("a failed run's leftover completion", () => {
	it("cannot complete what the restarted run holds", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.staleWorker.getOrCreate("stale");
		const answer = handle.send("jobs", "a", { wait: true, timeout: 60_000 });
		await expect.poll(() => staleProbe.runs).toBe(1);
		for (let i = 0; i < 5 && staleProbe.freshSaw.length === 0; i++) {
			await t.clock.advance(1_000);
			await turns(10);
		}
		expect(staleProbe.runs).toBe(2);
		expect(staleProbe.freshSaw).toEqual(["a"]); // redelivered to the restarted run
		staleProbe.late.open();
		await turns(20);
		staleProbe.work.open();
		await turns(20);
		expect({ stale: staleProbe.stale, fresh: staleProbe.fresh }).toEqual({
			stale: "already_completed",
			fresh: "completed",
		});
		expect(await answer).toEqual({ status: "completed", response: "from run 2" });
	});
});
