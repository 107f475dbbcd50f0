// The fast tick schedule.md shows for games (a `run` loop on an in-memory
// timer, not a durable timer per tick): it ticks, its events arrive, its
// state is saved, and the actor stays awake while it runs.
import { setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";
import { actor, event, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const match = actor({
	state: { ticks: 0 },
	events: { tick: event<number>() },
	run: async (c) => {
		while (!c.aborted) {
			c.state.ticks++;
			c.broadcast("tick", c.state.ticks);
			await sleep(20, undefined, { signal: c.abortSignal }).catch(() => {});
		}
	},
	actions: { ticks: (c) => c.state.ticks },
});

it("ticks in memory, broadcasts, saves and keeps the actor awake", async () => {
	await using t = await setupTest(setup({ use: { match }, logLevel: "silent" }));
	const conn = t.client.match.getOrCreate("m").connect();
	const heard: number[] = [];
	conn.on("tick", (n) => heard.push(n));
	await expect.poll(() => heard.length).toBeGreaterThan(5);
	// Past the sleep timeout with no call: the loop keeps the actor awake.
	await t.clock.advance(60_000);
	expect(t.awakeActors()).toBe(1);
	const before = await conn.ticks();
	await conn.dispose();
	await t.restart();
	// Saved: a restart starts from at least what was acknowledged.
	expect(await t.client.match.getOrCreate("m").ticks()).toBeGreaterThanOrEqual(before);
});
