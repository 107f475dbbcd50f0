// From an attacker probe (2026-11-27), three holes where a client's values reach
// `c.schedule` / `c.cron` through an action:
// - a job's `args` was not checked to be an array: a number was stored and every run failed
//   (a TypeError, logged forever, across restarts); a string was spread into characters;
// - `get` and `cancel` matched ids through Number(): "01", "0x2" and " 1" named timer 1 and 2
//   (the id's exact text or the number itself names it now);
// - timer arguments had no size limit: one call stored 15 MB, loaded again on every wake
//   (40 such timers took the server from 139 MB to 1.3 GB on the first call after a restart).
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const planner = actor({
	state: { runs: [] as unknown[][] },
	options: { maxScheduleArgsSize: 1024 },
	actions: {
		every: async (c, args: unknown) => {
			// An app that passes a client's value on as the job's args.
			await c.cron.every({ name: "job", interval: 1_000, action: "run", args: args as unknown[] });
			return true;
		},
		after: async (c, payload: string) => c.schedule.after(60_000, "run", payload),
		at: async (c, when: number) => c.schedule.at(when, "run"),
		afterMs: async (c, delay: number) => c.schedule.after(delay, "run"),
		get: async (c, id: string) => (await c.schedule.get(id))?.id ?? null,
		cancel: async (c, id: string) => c.schedule.cancel(id),
		count: async (c) => (await c.schedule.list()).length,
		run: (c, ...args: unknown[]) => {
			c.state.runs.push(args);
		},
		runs: (c) => c.state.runs,
	},
});
const registry = setup({ use: { planner }, logLevel: "silent" });

describe("c.schedule and c.cron given a client's values", () => {
	it("refuse a job's args that are not an array", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.planner.getOrCreate("args");
		for (const args of [5, "abc", { length: 3 }, true])
			await expect(handle.every(args)).rejects.toMatchObject({
				group: "schedule",
				code: "invalid",
			});
		expect(await handle.every(["a", 1])).toBe(true);
		await t.clock.advance(1_000);
		await t.settle();
		expect(await handle.runs()).toEqual([["a", 1]]);
	});

	it("get and cancel a timer by its exact id only", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.planner.getOrCreate("ids");
		const first = await handle.after("x");
		const second = await handle.after("y");
		expect([first, second]).toEqual(["1", "2"]);
		for (const alias of ["01", "0x2", " 1", "1.0", "2e0", "+1", ""]) {
			expect(await handle.get(alias)).toBeNull();
			expect(await handle.cancel(alias)).toBe(false);
		}
		expect(await handle.count()).toBe(2);
		expect(await handle.get("2")).toBe("2");
		// The number itself names it too (an app that kept the id as one, a review).
		expect(await handle.get(2 as unknown as string)).toBe("2");
		expect(await handle.get(2.5 as unknown as string)).toBeNull();
		expect(await handle.cancel("1")).toBe(true);
		expect(await handle.count()).toBe(1);
	});

	it("refuse arguments over maxScheduleArgsSize, for timers and jobs", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.planner.getOrCreate("size");
		await expect(handle.after("x".repeat(2_000))).rejects.toMatchObject({
			group: "schedule",
			code: "args_too_large",
			metadata: { limit: 1024 },
		});
		await expect(handle.every(["x".repeat(2_000)])).rejects.toMatchObject({
			group: "schedule",
			code: "args_too_large",
		});
		expect(await handle.count()).toBe(0);
		expect(await handle.after("x".repeat(900))).toBe("1");
	});

	// A client's time passed on unchecked: at(-1e308) was stored, and its lateness put 1e305 in
	// the alarm lateness metric's sum (an attacker probe, 2026-11-28).
	it("refuse a time a Date cannot hold", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.planner.getOrCreate("times");
		for (const when of [-1e308, 1e308, 8.64e15 + 1, -8.64e15, -1])
			await expect(handle.at(when)).rejects.toMatchObject({ group: "schedule", code: "invalid" });
		await expect(handle.afterMs(1e308)).rejects.toMatchObject({ code: "invalid" });
		expect(await handle.count()).toBe(0);
		expect(await handle.at(t.clock.now() + 1_000)).toBe("1");
	});
});
