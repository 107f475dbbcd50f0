// State changes and events reach a client in the order the actor's code made them: an event
// sent after a change of the shared state comes after that change. The shared state went out
// at the end of the turn, after every event of the turn: an agent's `turn` event announcing
// `confirming` arrived while `sharedState.pending` was still null, and a handler reading it
// crashed (a docs walkthrough, 2026-11-28).
import { describe, expect, it } from "vitest";
import { actor, event, setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const game = actor({
	state: { phase: "lobby", round: 0 },
	shareState: true,
	events: { phase: event<string>(), private: event<string>() },
	actions: {
		start: async (c) => {
			c.state.phase = "playing";
			c.broadcast("phase", "playing");
			// A change made before the code awaits goes in the same patch (one for the burst).
			c.state.round = 1;
			await Promise.resolve();
			c.state.phase = "scoring";
			c.conn.send("private", "scoring");
		},
	},
});
const feed = actor({
	state: { items: [] as number[] },
	shareState: true,
	events: { added: event<number>() },
	actions: {
		failing: (c) => {
			c.state.items.push(-1);
			c.broadcast("added", -1);
			throw new UserError("it went wrong", { code: "oops" });
		},
		batch: (c, n: number) => {
			for (let i = 0; i < n; i++) {
				c.state.items.push(i);
				c.broadcast("added", i);
			}
		},
	},
});
const registry = setup({ use: { game, feed }, logLevel: "silent" });

describe("shared state and events", () => {
	it("reach a client in the order the code made them", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.game.getOrCreate("g").connect();
		const seen: string[] = [];
		conn.onSharedState((state) => seen.push(`state ${state.phase} ${state.round}`));
		conn.on("phase", (phase) => seen.push(`phase ${phase}, state ${conn.sharedState?.phase}`));
		conn.on("private", (phase) => seen.push(`private ${phase}, state ${conn.sharedState?.phase}`));
		await expect.poll(() => seen).toEqual(["state lobby 0"]);
		await conn.start();
		await expect
			.poll(() => seen)
			.toEqual([
				"state lobby 0",
				"state playing 1",
				"phase playing, state playing",
				"state scoring 1",
				"private scoring, state scoring",
			]);
		await conn.dispose();
	});

	// A patch before each event made a loop of changes and events diff the whole state each
	// time: 500 took 2.3 s instead of 11 ms (a review). One patch for the burst, then the events.
	it("send one patch for a burst of changes and events, before the events", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.feed.getOrCreate("f").connect();
		const seen: string[] = [];
		conn.onSharedState((state) => seen.push(`state ${state.items.length}`));
		conn.on("added", (i) => seen.push(`added ${i}, state ${conn.sharedState?.items.length}`));
		await expect.poll(() => seen).toEqual(["state 0"]);
		await conn.batch(300);
		await expect.poll(() => seen.length).toBe(302);
		expect(seen[1]).toBe("state 300");
		expect(seen.slice(2)).toEqual(Array.from({ length: 300 }, (_, i) => `added ${i}, state 300`));
		await conn.dispose();
	});

	// A failed action's events come before its error (a review asked whether a failed turn,
	// which has no end of turn to send them, let them wait past the error: it does not).
	it("send an action's events before its error", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.feed.getOrCreate("fail").connect();
		const seen: string[] = [];
		conn.on("added", (i) => seen.push(`added ${i}`));
		conn.onSharedState(() => {});
		await expect.poll(() => conn.sharedState).toBeDefined();
		await conn.failing().catch((error: { code?: string }) => seen.push(`error ${error.code}`));
		expect(seen).toEqual(["added -1", "error oops"]);
		await conn.dispose();
	});
});
