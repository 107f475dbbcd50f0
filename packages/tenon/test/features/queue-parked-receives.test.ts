// A receive of code a failed action left running (its holder ended) is
// parked: never served, but it ends as every waiting receive does, at the
// actor's stop, on its own signal and at its timeout. Parked as a promise that
// never settled (7a2840d), it held a stop for the whole grace period and
// ignored signal and timeout (a review, 2026-11-26). (Under keepAwake such a
// loop keeps the actor awake, as the same loop of an action that returned
// does: keepAwake waits for the loop.)
import { describe, expect, it } from "vitest";
import { actor, queue, setup, UserError } from "../../src/index.js";
import type { TestContext } from "../../src/test/index.js";
import { setupTest } from "../../src/test/index.js";
import { turns } from "../helpers/controllable-storage.js";

const bg = { loops: 0, ended: "" };

type Q = { queue: { next(o: object): Promise<unknown> } };
/** A background consumer that ends when its receive is rejected (the actor stops). */
function worker(c: Q) {
	return (async () => {
		for (;;) {
			try {
				await c.queue.next({ names: ["mail"] });
			} catch {
				bg.ended = "rejected at stop";
				return;
			}
			bg.loops++;
			if (bg.loops > 1_000) {
				bg.ended = "spun";
				return;
			}
		}
	})();
}

const parker = actor({
	state: {},
	queues: { mail: queue<string>() },
	actions: {
		waitUntilThenReturn: (c) => {
			c.waitUntil(worker(c));
			return "ok";
		},
		waitUntilThenFail: (c) => {
			c.waitUntil(worker(c));
			throw new UserError("failed", { code: "failed" });
		},
		signalThenFail: (c) => {
			// Leftover code that bounds its wait with its own signal / timeout.
			void (async () => {
				await Promise.resolve();
				const ac = new AbortController();
				setTimeout(() => ac.abort(new Error("gave up")), 5);
				await c.queue.next({ names: ["mail"], signal: ac.signal }).then(
					() => (bg.ended = "resolved"),
					() => (bg.ended = "aborted"),
				);
			})();
			void (async () => {
				await Promise.resolve();
				await c.queue.next({ names: ["mail"], timeout: 1_000 });
				bg.loops = -1; // timed out
			})();
			throw new UserError("failed", { code: "failed" });
		},
	},
	options: { sleepTimeout: 5_000, sleepGracePeriod: 10_000 },
});

const registry = setup({ use: { parker }, logLevel: "silent" });

async function advance(t: TestContext<typeof registry>, ms: number) {
	for (let i = 0; i < ms / 500; i++) {
		await t.clock.advance(500);
		await turns(5);
	}
}
/** Stops the server while moving the manual clock (a stop may wait for its grace period). */
async function shutdown(t: TestContext<typeof registry>) {
	const stopping = t.stop();
	let done = false;
	void stopping.finally(() => (done = true));
	for (let i = 0; i < 100 && !done; i++) await advance(t, 1_000);
	await stopping;
}

describe("parked receive of a failed action", () => {
	it("control: the loop of an action that returned ends at the stop", async () => {
		bg.loops = 0;
		bg.ended = "";
		const t = await setupTest(registry);
		try {
			const h = t.client.parker.getOrCreate("control");
			expect(await h.waitUntilThenReturn()).toBe("ok");
			await advance(t, 6_000);
			expect({ ended: bg.ended, awake: t.awakeActors() }).toEqual({
				ended: "rejected at stop",
				awake: 0,
			});
		} finally {
			await shutdown(t);
		}
	});

	it("a waitUntil loop of a failed action ends at the stop, as the control's does", async () => {
		bg.loops = 0;
		bg.ended = "";
		const t = await setupTest(registry);
		try {
			const h = t.client.parker.getOrCreate("wu");
			await expect(h.waitUntilThenFail()).rejects.toMatchObject({ code: "failed" });
			await advance(t, 6_000); // sleep timeout passes, the stop starts and drains
			// Expected: its receive ends at the stop, as in the control.
			expect({ ended: bg.ended, awake: t.awakeActors() }).toEqual({
				ended: "rejected at stop",
				awake: 0,
			});
		} finally {
			await shutdown(t);
		}
	});

	it("a parked receive ends on its own signal and at its timeout", async () => {
		bg.loops = 0;
		bg.ended = "";
		const t = await setupTest(registry);
		try {
			const h = t.client.parker.getOrCreate("sig");
			await expect(h.signalThenFail()).rejects.toMatchObject({ code: "failed" });
			await new Promise((resolve) => setTimeout(resolve, 50));
			await advance(t, 2_000);
			expect({ signal: bg.ended, timeout: bg.loops }).toEqual({ signal: "aborted", timeout: -1 });
		} finally {
			await shutdown(t);
		}
	});
});
