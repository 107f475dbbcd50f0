// Subscribers of a connection's shared state and presence: one that throws is
// logged, as every connection callback is, and the others still hear each
// change (a component's re-render among them).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const counter = actor({
	state: { n: 0 },
	shareState: true,
	presence: {},
	actions: { inc: (c) => ++c.state.n },
});
const registry = setup({ use: { counter }, logLevel: "silent" });

let logged: unknown[] = [];
const consoleError = console.error;
beforeEach(() => {
	logged = [];
	console.error = (...args: unknown[]) => logged.push(args[0]);
});
afterEach(() => {
	console.error = consoleError;
});

describe("shared state and presence subscribers", () => {
	it("one onSharedState subscriber that throws does not keep the change from the others", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.counter.getOrCreate("state").connect();
		const seen: number[] = [];
		conn.onSharedState(() => {
			throw new Error("boom");
		});
		conn.onSharedState((state) => seen.push(state.n));
		await conn.inc();
		await conn.inc();
		await expect.poll(() => seen).toEqual([0, 1, 2]);
		expect(logged.length).toBeGreaterThanOrEqual(3);
		expect(logged.every((entry) => entry === "tenon: a connection callback threw")).toBe(true);
		// One that throws when it is first called with the state known is logged too.
		const late: number[] = [];
		expect(() =>
			conn.onSharedState(() => {
				throw new Error("late");
			}),
		).not.toThrow();
		conn.onSharedState((state) => late.push(state.n));
		expect(late).toEqual([2]);
		await conn.dispose();
	});

	it("one onPresence subscriber that throws does not keep the change from the others", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.counter.getOrCreate("presence").connect();
		const sizes: number[] = [];
		expect(() =>
			conn.onPresence(() => {
				throw new Error("boom");
			}),
		).not.toThrow();
		conn.onPresence((presence) => sizes.push(presence.size));
		await conn.setPresence({ here: true });
		await expect.poll(() => sizes.at(-1)).toBe(1);
		expect(logged.length).toBeGreaterThanOrEqual(2);
		await conn.dispose();
	});
});
