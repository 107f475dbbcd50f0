// An awake actor makes its collections on first use (bench/heap-census.ts:
// an idle actor kept several empty ones). What user code holds must not see
// the difference.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const room = actor({
	state: { visits: 0 },
	// Taken on wake, before any connection opened: the hub had none yet.
	createVars: (c) => ({ connsAtWake: c.conns }),
	createConnState: () => ({}),
	actions: {
		seen: (c) => ({ kept: c.vars.connsAtWake.size, now: c.conns.size }),
	},
});

const registry = setup({ use: { room }, logLevel: "silent" });

describe("collections made on first use", () => {
	it("c.conns taken before the first connection shows the connections that open later", async () => {
		await using t = await setupTest(registry);
		const first = t.client.room.getOrCreate("lobby").connect();
		expect(await first.seen()).toEqual({ kept: 1, now: 1 });
		const second = t.client.room.getOrCreate("lobby").connect();
		expect(await second.seen()).toEqual({ kept: 2, now: 2 });
		await second.dispose();
		await expect.poll(async () => first.seen()).toEqual({ kept: 1, now: 1 });
		await first.dispose();
	});
});
