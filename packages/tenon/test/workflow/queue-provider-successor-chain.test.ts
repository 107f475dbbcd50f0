// A completion a failed provider run has in flight while later runs start,
// fail and take over (QueueLeases.reclaim, StoredMessage.successor): the
// message ends with the last run, or back in the queue, never stuck.
import { describe, expect, it } from "vitest";
import type { RunHost } from "../../src/actor/run-host.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { slowlyCheckedQueue, untilAborted } from "../helpers/queue-runs.js";

const checks: (() => void)[] = [];
let runs = 0;
let id: string | undefined;
const log: string[] = [];
/** Runs 2..n-1 take over and fail at once (they end); the last takes over, waits for `go`, completes. */
let failing = 1;
let go: () => void = () => {};
let goPromise: Promise<void> = Promise.resolve();

const chain = actor({
	state: {},
	queues: {
		strict: slowlyCheckedQueue((pass) => checks.push(pass)),
	},
	actions: {
		ping: () => true,
		size: (c) => c.queue.size,
		take: async (c) => {
			const m = await c.queue.tryNext({ completable: true });
			if (m === undefined) return null;
			return `taken:${m.body}`;
		},
	},
	run: Object.assign(async () => {}, {
		kind: "custom",
		async run(host: RunHost) {
			runs++;
			const n = runs;
			if (n === 1) {
				const [message] = await host.queue.nextBatch({ count: 1, completable: true });
				if (message === undefined) return;
				id = message.id;
				void message.complete?.("bad").catch(() => {});
				throw new Error("boom");
			}
			const view = host.queue.lease(id ?? "");
			log.push(`run${n}:${view === undefined ? "gone" : "leased"}`);
			host.queue.restored();
			if (n <= failing) throw new Error(`boom${n}`);
			await goPromise;
			if (view !== undefined) {
				try {
					await view.complete("ok");
					log.push(`run${n}:completed`);
				} catch (error) {
					log.push(`run${n}:${(error as { code?: string }).code ?? String(error)}`);
				}
			}
			await untilAborted(host.abortSignal);
		},
	}),
});

const registry = setup({ use: { chain }, logLevel: "silent" });

function reset(fail: number) {
	runs = 0;
	id = undefined;
	log.length = 0;
	checks.length = 0;
	failing = fail;
	goPromise = new Promise<void>((r) => {
		go = r;
	});
}

async function endChecks(t: { settle(): Promise<void> }) {
	for (let i = 0; i < 20 && checks.length > 0; i++) {
		for (const end of checks.splice(0)) end();
		await t.settle();
	}
}

describe("successors of a completion in flight", () => {
	it("run 2 (successor) ends before run 1's completion fails; run 3 takes over and completes", async () => {
		reset(2);
		await using t = await setupTest(registry);
		const handle = t.client.chain.getOrCreate("a");
		await handle.ping();
		const answer = handle.send("strict", "first", { wait: true, timeout: 60_000 });
		await expect.poll(() => checks.length).toBeGreaterThan(0);
		await t.clock.advance(1_000); // run 2 starts, takes over, fails
		await expect.poll(() => runs).toBe(2);
		await t.settle();
		await endChecks(t); // run 1's "bad" refused: run 2 (ended) holds it
		expect(await handle.take()).toBe(null);
		await t.clock.advance(2_000); // run 3
		await expect.poll(() => runs).toBe(3);
		go();
		await t.settle();
		await endChecks(t);
		expect(log).toEqual(["run2:leased", "run3:leased", "run3:completed"]);
		expect(await answer).toEqual({ status: "completed", response: "ok" });
	}, 30_000);

	it("two restarts while run 1's completion is in flight", async () => {
		reset(2);
		await using t = await setupTest(registry);
		const handle = t.client.chain.getOrCreate("b");
		await handle.ping();
		const answer = handle.send("strict", "first", { wait: true, timeout: 60_000 });
		await expect.poll(() => checks.length).toBeGreaterThan(0);
		await t.clock.advance(1_000);
		await expect.poll(() => runs).toBe(2);
		await t.settle();
		await t.clock.advance(2_000);
		await expect.poll(() => runs).toBe(3);
		await t.settle();
		expect(await handle.take()).toBe(null);
		await endChecks(t); // run 1's "bad" refused: run 3's now
		expect(await handle.take()).toBe(null);
		go();
		await t.settle();
		await endChecks(t);
		expect(log).toEqual(["run2:leased", "run3:leased", "run3:completed"]);
		expect(await answer).toEqual({ status: "completed", response: "ok" });
	}, 30_000);

	it("a successor that does not list it (restored) gives it back if the completion fails", async () => {
		reset(1);
		await using t = await setupTest(registry);
		const handle = t.client.chain.getOrCreate("c");
		await handle.ping();
		await handle.send("strict", "first");
		await expect.poll(() => checks.length).toBeGreaterThan(0);
		id = "nope"; // run 2's journal does not list it
		await t.clock.advance(1_000);
		await expect.poll(() => runs).toBe(2);
		await t.settle();
		await endChecks(t);
		const taken = await handle.take();
		go();
		expect(taken).toBe("taken:first");
	}, 30_000);
});
