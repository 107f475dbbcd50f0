// A `run` handler waiting on the queue is idle (the actor may sleep), but only
// its own waits count: a receive another holder left waiting (a waitUntil
// consumer) made a working run look idle, and the actor slept in the middle
// of the run's work (a review, 2026-11-26).
import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { turns } from "../helpers/controllable-storage.js";

const probe = { started: 0, aborted: 0, open: () => {} };

const busy = actor({
	state: {},
	queues: { mail: queue<string>(), jobs: queue<string>() },
	run: async (c) => {
		probe.started++;
		// Long work that is not a queue wait (an external call, say).
		await new Promise<void>((resolve) => {
			probe.open = resolve;
			c.abortSignal.addEventListener("abort", () => {
				probe.aborted++;
				resolve();
			});
		});
	},
	actions: {
		ping: () => "pong",
		startListener: (c) => {
			c.waitUntil(c.queue.next({ names: ["mail"] }).catch(() => undefined));
			return "ok";
		},
	},
	options: { sleepTimeout: 5_000 },
});

const registry = setup({ use: { busy }, logLevel: "silent" });

async function advance(t: { clock: { advance(ms: number): unknown } }, ms: number) {
	for (let i = 0; i < ms / 500; i++) {
		await t.clock.advance(500);
		await turns(5);
	}
}

describe("a working run while other code waits on the queue", () => {
	it("control: a working run keeps the actor awake", async () => {
		probe.started = 0;
		probe.aborted = 0;
		await using t = await setupTest(registry);
		const h = t.client.busy.getOrCreate("control");
		expect(await h.ping()).toBe("pong");
		await advance(t, 20_000);
		expect({ awake: t.awakeActors(), aborted: probe.aborted }).toEqual({ awake: 1, aborted: 0 });
		probe.open();
	});

	it("another holder's waiting receive does not make the working run idle", async () => {
		probe.started = 0;
		probe.aborted = 0;
		await using t = await setupTest(registry);
		const h = t.client.busy.getOrCreate("listener");
		expect(await h.startListener()).toBe("ok");
		await advance(t, 20_000);
		expect({ awake: t.awakeActors(), aborted: probe.aborted }).toEqual({ awake: 1, aborted: 0 });
		probe.open();
	});
});
