// `conn.presence` is read by UI frameworks on every render (React's
// useSyncExternalStore compares reads with Object.is): it is the same value
// until presence changes, before anything subscribed to it too.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const room = actor({
	state: {},
	presence: { identify: () => null },
	actions: { ping: () => "pong" },
});

const registry = setup({ use: { room }, logLevel: "silent" });

describe("conn.presence", () => {
	it("is the same map on every read before onPresence was called", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.room.getOrCreate("before").connect();
		const first = conn.presence;
		expect(conn.presence).toBe(first);
		expect(first.size).toBe(0);
		await conn.ping();
		expect(conn.presence).toBe(first);
		await conn.dispose();
	});

	it("is the same map between changes once subscribed, and a new one after a change", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.room.getOrCreate("after").connect();
		const seen: Array<ReadonlyMap<string, unknown>> = [];
		conn.onPresence((presence) => seen.push(presence));
		await conn.setPresence({ here: true });
		await expect.poll(() => conn.presence.size).toBe(1);
		const current = conn.presence;
		expect(conn.presence).toBe(current);
		expect(seen.at(-1)).toBe(current);
		await conn.setPresence({ here: false });
		// Presence updates are rate limited on the server's clock (a manual one in tests).
		await t.clock.advance(1_000);
		await expect.poll(() => conn.presence).not.toBe(current);
		expect(seen.at(-1)).toBe(conn.presence);
		await conn.dispose();
	});
});
