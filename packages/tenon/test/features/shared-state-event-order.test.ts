// State changes and events reach a client in the order the actor's code made them: an event
// sent after a change of the shared state comes after that change. The shared state went out
// at the end of the turn, after every event of the turn: an agent's `turn` event announcing
// `confirming` arrived while `sharedState.pending` was still null, and a handler reading it
// crashed (a docs walkthrough, 2026-11-28).
import { describe, expect, it } from "vitest";
import { actor, event, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const game = actor({
	state: { phase: "lobby", round: 0 },
	shareState: true,
	events: { phase: event<string>(), private: event<string>() },
	actions: {
		start: async (c) => {
			c.state.phase = "playing";
			c.broadcast("phase", "playing");
			// A change after the event goes after it too (at the end of the turn).
			c.state.round = 1;
			await Promise.resolve();
			c.state.phase = "scoring";
			c.conn.send("private", "scoring");
		},
	},
});
const registry = setup({ use: { game }, logLevel: "silent" });

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
				"state playing 0",
				"phase playing, state playing",
				"state scoring 1",
				"private scoring, state scoring",
			]);
		await conn.dispose();
	});
});
