import { describe, expect, it } from "vitest";
import { actor, type FireInfo, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const START = Date.UTC(2026, 10, 21, 0, 0, 0); // 2026-11-21T00:00:00Z

const timers = actor({
	state: { fired: [] as { tag: string; fire: FireInfo | undefined }[] },
	actions: {
		at: (c, at: number, tag: string) => c.schedule.at(at, "ring", tag),
		after: (c, ms: number, tag: string) => c.schedule.after(ms, "ring", tag),
		many: async (c, count: number) => {
			// Scheduled in reverse due order, to prove they fire by time, not by creation.
			for (let i = count - 1; i >= 0; i--) await c.schedule.after(1_000 + i * 10, "ring", `t${i}`);
			return (await c.schedule.list()).length;
		},
		cancel: (c, id: string) => c.schedule.cancel(id),
		get: (c, id: string) => c.schedule.get(id),
		list: (c) => c.schedule.list(),
		ring: (c, tag: string) => {
			c.state.fired.push({ tag, fire: c.fire });
		},
		fail: () => {
			throw new Error("scheduled failure");
		},
		daily: (c) =>
			c.cron.set({
				name: "daily",
				expression: "0 9 * * *",
				timezone: "Europe/Paris",
				action: "ring",
				args: ["daily"],
			}),
		every: (c, interval: number) =>
			c.cron.every({ name: "tick", interval, action: "ring", args: ["tick"], maxHistory: 3 }),
		failing: (c) => c.cron.every({ name: "bad", interval: 1_000, action: "fail" }),
		jobs: (c) => c.cron.list(),
		history: (c, name: string, limit?: number) =>
			c.cron.history(name, limit === undefined ? undefined : { limit }),
		dropJob: (c, name: string) => c.cron.delete(name),
		badCron: (c) => c.cron.set({ name: "x", expression: "not a cron", action: "ring" }),
		badZone: (c) =>
			c.cron.set({ name: "x", expression: "* * * * *", timezone: "Mars/Olympus", action: "ring" }),
		badAction: (c) => c.schedule.after(1, "nope"),
		badArgs: (c) => c.schedule.after(1, "ring", () => 1),
		fired: (c) => c.state.fired.map((f) => f.tag),
		fireInfo: (c) => c.state.fired.map((f) => f.fire),
	},
	options: { sleepTimeout: 1_000 },
});

const limited = actor({
	state: {},
	actions: {
		fill: async (c) => {
			for (let i = 0; i < 3; i++) await c.schedule.after(1_000, "noop");
			return c.schedule.after(1_000, "noop");
		},
		noop: () => {},
	},
	options: { maxSchedules: 3 },
});

const registry = setup({ use: { timers, limited }, logLevel: "silent" });

describe("c.schedule", () => {
	it("fires 1,000 timers on one actor in due order, each exactly once", async () => {
		await using t = await setupTest(registry, { startAt: START });
		const handle = t.client.timers.getOrCreate("thousand");
		expect(await handle.many(1_000)).toBe(1_000);
		await t.clock.advance(1_000 + 999 * 10);
		await expect.poll(async () => (await handle.fired()).length, { timeout: 10_000 }).toBe(1_000);
		const fired = await handle.fired();
		expect(fired).toEqual(Array.from({ length: 1_000 }, (_, i) => `t${i}`));
		expect(await handle.list()).toEqual([]);
	}, 30_000);

	it("passes fire info, lists, gets and cancels timers", async () => {
		await using t = await setupTest(registry, { startAt: START });
		const handle = t.client.timers.getOrCreate("info");
		const keep = await handle.after(5_000, "keep");
		const drop = await handle.after(3_000, "drop");
		expect((await handle.list()).map((e) => e.id)).toEqual([drop, keep]);
		expect(await handle.get(keep)).toMatchObject({
			at: START + 5_000,
			action: "ring",
			args: ["keep"],
		});
		expect(await handle.cancel(drop)).toBe(true);
		expect(await handle.cancel(drop)).toBe(false);
		await t.clock.advance(6_000);
		await expect.poll(() => handle.fired()).toEqual(["keep"]);
		// The actor slept (sleepTimeout 1 s) and was woken for the timer, so it
		// may run a little after it was due; firedAt says when.
		const [info] = await handle.fireInfo();
		expect(info).toMatchObject({ kind: "schedule", id: keep, scheduledAt: START + 5_000 });
		expect(info?.firedAt).toBeGreaterThanOrEqual(START + 5_000);
		expect(info?.firedAt).toBeLessThanOrEqual(START + 6_000);
	});

	it("wakes a sleeping actor for its timer", async () => {
		await using t = await setupTest(registry, { startAt: START });
		const handle = t.client.timers.getOrCreate("sleeper");
		await handle.after(60_000, "wake-me");
		await t.clock.advance(1_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await t.clock.advance(59_000);
		await expect.poll(() => t.awakeActors()).toBe(1);
		await expect.poll(() => handle.fired()).toEqual(["wake-me"]);
	});

	it("fires timers that came due while the server was down, after restart", async () => {
		const storage = memoryDriver();
		await using t = await setupTest(registry, { storage, startAt: START });
		const handle = t.client.timers.getOrCreate("downtime");
		await handle.after(10_000, "missed");
		await t.restart();
		// The new server's clock starts later than the timer.
		await t.clock.advance(20_000);
		await expect.poll(() => t.client.timers.getOrCreate("downtime").fired()).toEqual(["missed"]);
		const [info] = await t.client.timers.getOrCreate("downtime").fireInfo();
		expect(info?.scheduledAt).toBe(START + 10_000);
	});

	it("refuses bad schedules with clear errors", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.timers.getOrCreate("bad");
		await expect(handle.badAction()).rejects.toMatchObject({
			group: "actor",
			code: "action_not_found",
		});
		await expect(handle.badArgs()).rejects.toMatchObject({
			group: "state",
			code: "not_serializable",
		});
		await expect(handle.badCron()).rejects.toMatchObject({
			group: "schedule",
			code: "invalid_cron",
		});
		await expect(handle.badZone()).rejects.toMatchObject({ group: "schedule", code: "invalid" });
		await expect(handle.after(-1, "x")).rejects.toMatchObject({
			group: "schedule",
			code: "invalid",
		});
		await expect(t.client.limited.getOrCreate().fill()).rejects.toMatchObject({
			group: "schedule",
			code: "limit_reached",
		});
	});
});

describe("c.cron", () => {
	it("runs a cron job in its time zone and keeps history", async () => {
		await using t = await setupTest(registry, { startAt: START });
		const handle = t.client.timers.getOrCreate("cron");
		const job = await handle.daily();
		// 09:00 in Paris on 2026-11-21 is 08:00 UTC.
		expect(job.nextAt).toBe(Date.UTC(2026, 10, 21, 8, 0, 0));
		await t.clock.advance(8 * 3_600_000);
		await expect.poll(() => handle.fired()).toEqual(["daily"]);
		expect((await handle.jobs())[0]?.nextAt).toBe(Date.UTC(2026, 10, 22, 8, 0, 0));
		await t.clock.advance(24 * 3_600_000);
		await expect.poll(() => handle.fired()).toEqual(["daily", "daily"]);
		const history = await handle.history("daily");
		expect(history).toHaveLength(2);
		expect(history[0]).toMatchObject({ ok: true, scheduledAt: Date.UTC(2026, 10, 22, 8, 0, 0) });
		expect(await handle.dropJob("daily")).toBe(true);
		expect(await handle.jobs()).toEqual([]);
	});

	it("runs fixed intervals, trims history, and records failures", async () => {
		await using t = await setupTest(registry, { startAt: START });
		const handle = t.client.timers.getOrCreate("every");
		await handle.every(10_000);
		for (let i = 1; i <= 5; i++) {
			await t.clock.advance(10_000);
			await expect.poll(async () => (await handle.fired()).length).toBe(i);
		}
		expect(await handle.history("tick")).toHaveLength(3);
		expect(await handle.history("tick", 2)).toHaveLength(2);
		expect(await handle.history("tick", 0)).toEqual([]);
		expect(await handle.history("tick", Number.POSITIVE_INFINITY)).toHaveLength(3);
		// A negative or fractional limit gave [] or a rounded slice before 2026-11-27.
		for (const limit of [-5, 1.5])
			await expect(handle.history("tick", limit)).rejects.toMatchObject({
				group: "schedule",
				code: "invalid",
			});
		await handle.failing();
		await t.clock.advance(1_000);
		await expect.poll(async () => (await handle.history("bad")).length).toBe(1);
		expect((await handle.history("bad"))[0]).toMatchObject({
			ok: false,
			error: "scheduled failure",
		});
	});
});
