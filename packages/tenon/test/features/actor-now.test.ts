// `c.now()`: the time on the clock the actor's timers run on. Under the test
// kit, `Date.now()` in an actor was real time while its timers ran on
// `t.clock`: a match's `endsAt = Date.now() + d` disagreed with when its `end`
// timer fired (a docs walkthrough, 2026-11-28).
import { expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const match = actor({
	state: { endsAt: 0, endedAt: 0 },
	actions: {
		start: async (c, ms: number) => {
			c.state.endsAt = c.now() + ms;
			await c.schedule.at(c.state.endsAt, "end");
			return c.state.endsAt;
		},
		end: (c) => {
			if (c.fire === undefined) throw new Error("only its timer ends a match");
			c.state.endedAt = c.now();
		},
		times: (c) => ({ ...c.state, now: c.now() }),
	},
});

it("reads the test clock, on which the timers fire", async () => {
	await using t = await setupTest(setup({ use: { match } }), { startAt: 1_000_000 });
	const m = t.client.match.getOrCreate("m");
	expect(await m.start(5_000)).toBe(1_005_000);
	await t.clock.advance(4_999);
	expect(await m.times()).toEqual({ endsAt: 1_005_000, endedAt: 0, now: 1_004_999 });
	await t.clock.advance(1);
	await t.settle();
	expect(await m.times()).toEqual({ endsAt: 1_005_000, endedAt: 1_005_000, now: 1_005_000 });
});
