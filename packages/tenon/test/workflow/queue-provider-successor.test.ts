// A run provider's next run takes over a message the failed run is still
// completing (its reply schema checked): its own completion waits for that
// one to decide, and completes the message once it failed. It was refused
// (`queue/already_completed`) and the message stayed leased (a review,
// 2026-11-26).
import { describe, expect, it } from "vitest";
import type { RunHost } from "../../src/actor/run-host.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { slowlyCheckedQueue, untilAborted } from "../helpers/queue-runs.js";

/** Pending reply-schema checks, oldest first. */
const checks: (() => void)[] = [];
let runs = 0;
let id: string | undefined;
let second: string | undefined;

const completing = actor({
	state: {},
	queues: {
		strict: slowlyCheckedQueue((pass) => checks.push(pass)),
	},
	actions: { ping: () => true, size: (c) => c.queue.size },
	run: Object.assign(async () => {}, {
		kind: "custom",
		async run(host: RunHost) {
			runs++;
			if (runs === 1) {
				const [message] = await host.queue.nextBatch({ count: 1, completable: true });
				if (message === undefined) return;
				id = message.id;
				void message.complete?.("bad").catch(() => {});
				throw new Error("boom");
			}
			// Its journal lists the message: it takes it over and completes it (its reply is good).
			const view = host.queue.lease(id ?? "");
			host.queue.restored();
			if (view === undefined) second = "gone";
			else {
				try {
					await view.complete("ok");
					second = "completed";
				} catch (error) {
					second = (error as { code?: string }).code ?? String(error);
				}
			}
			await untilAborted(host.abortSignal);
		},
	}),
});

const registry = setup({ use: { completing }, logLevel: "silent" });

describe("a provider run's completion of a message an earlier run is completing", () => {
	it("the later run's completion is not refused while the earlier one is still checked", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.completing.getOrCreate("x");
		await handle.ping();
		const answer = handle.send("strict", "first", { wait: true, timeout: 30_000 });
		await expect.poll(() => checks.length).toBeGreaterThan(0);
		await t.clock.advance(1_000);
		await expect.poll(() => runs).toBe(2);
		await t.settle();
		// Run 2 called complete("ok") while run 1's "bad" is still being checked.
		const outcomeWhileInFlight = second;
		// Run 1's "bad" is refused: the message is run 2's now.
		for (let i = 0; i < 20 && checks.length > 0; i++) {
			for (const end of checks.splice(0)) end();
			await t.settle();
		}
		expect({ outcomeWhileInFlight, second, size: await handle.size() }).toEqual({
			outcomeWhileInFlight: undefined,
			second: "completed",
			size: 0,
		});
		expect(await answer).toEqual({ status: "completed", response: "ok" });
	}, 30_000);
});
