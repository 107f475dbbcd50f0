// Timers and cron jobs whose runs go wrong in odd ways (a review, 2026-11-26):
// - croner takes an ISO date as a run-once pattern, so `c.cron.set` accepted one; when it
//   came due the next run was looked up before the action ran, threw "it never fires"
//   outside any catch, and the timer loop rejected unhandled and re-armed at once: a loop
//   that ended a server process, and again at every restart (the alarm was due).
// - an action that threw a value `String()` cannot convert (no prototype) made the run's
//   record throw before the timer was removed: it fired again without end.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const START = Date.UTC(2026, 10, 21, 0, 0, 0);
const runs = { odd: 0 };

const clockwork = actor({
	state: { fired: 0 },
	actions: {
		setOnce: (c, expression: string) => c.cron.set({ name: "once", expression, action: "ring" }),
		ring: (c) => {
			c.state.fired++;
		},
		fired: (c) => c.state.fired,
		armOdd: (c) => c.schedule.after(1_000, "odd"),
		cronOdd: (c) => c.cron.every({ name: "odd", interval: 60_000, action: "odd" }),
		odd: () => {
			runs.odd++;
			throw Object.create(null);
		},
		timers: (c) => c.schedule.list(),
		history: (c) => c.cron.history("odd"),
	},
	options: { sleepTimeout: 60 * 60_000 },
});
const registry = setup({ use: { clockwork }, logLevel: "silent" });

const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);
beforeEach(() => {
	rejections.length = 0;
	runs.odd = 0;
	process.on("unhandledRejection", onRejection);
});
afterEach(() => {
	process.off("unhandledRejection", onRejection);
});

describe("timers and cron jobs that go wrong", () => {
	it("a cron expression that fires only once is refused (c.schedule.at is for one time)", async () => {
		await using t = await setupTest(registry, { startAt: START });
		const handle = t.client.clockwork.getOrCreate("iso");
		await expect(handle.setOnce("2026-11-21T09:00:00Z")).rejects.toMatchObject({
			group: "schedule",
			code: "invalid_cron",
		});
		// A recurring expression is still taken, and fires.
		await handle.setOnce("0 9 * * *");
		await t.clock.advance(10 * 3600_000);
		await expect.poll(() => handle.fired()).toBe(1);
		expect(rejections).toEqual([]);
	});

	it("a timer whose action throws a value that cannot be printed fires once and is removed", async () => {
		await using t = await setupTest(registry, { startAt: START });
		const handle = t.client.clockwork.getOrCreate("odd");
		await handle.armOdd();
		await t.clock.advance(1_000);
		await expect.poll(() => handle.timers()).toEqual([]);
		expect(runs.odd).toBe(1);
		expect(rejections).toEqual([]);
	});

	it("a cron job whose action throws such a value keeps its history and fires on schedule", async () => {
		await using t = await setupTest(registry, { startAt: START });
		const handle = t.client.clockwork.getOrCreate("odd-cron");
		await handle.cronOdd();
		await t.clock.advance(60_000);
		await expect.poll(() => handle.history()).toHaveLength(1);
		expect(runs.odd).toBe(1);
		const [run] = await handle.history();
		expect(run).toMatchObject({ ok: false, error: expect.any(String) });
		expect(rejections).toEqual([]);
	});
});
