// `c.broadcastExcept(connId, name, ...args)`: a broadcast that leaves one
// connection out (as the Agents SDK's `broadcast(message, without)`), typed
// by the actor's events like `c.broadcast`.
import { describe, expect, expectTypeOf, it } from "vitest";
import { actor, event, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const board = actor({
	state: {},
	events: { moved: event<[by: string, x: number]>() },
	actions: {
		move: (c, x: number) => {
			c.broadcastExcept(c.conn.id, "moved", c.conn.id, x);
			// Typed as `c.broadcast` is (checked by the compiler, never run).
			const untyped = () =>
				// @ts-expect-error the event's arguments are typed
				c.broadcastExcept(c.conn.id, "moved", x);
			expectTypeOf(untyped).toBeFunction();
			expectTypeOf(c.broadcastExcept).parameter(0).toEqualTypeOf<string>();
			return c.conn.id;
		},
		ping: () => "pong",
	},
});

describe("c.broadcastExcept", () => {
	it("reaches every subscribed connection but the one it names", async () => {
		await using t = await setupTest(setup({ use: { board }, logLevel: "silent" }));
		const open = async () => {
			const conn = t.client.board.getOrCreate("b").connect();
			const seen: [string, number][] = [];
			conn.on("moved", (by, x) => seen.push([by, x]));
			await conn.ping();
			return { conn, seen };
		};
		const [mover, a, b] = [await open(), await open(), await open()];
		const id = await mover.conn.move(7);
		await expect.poll(() => a.seen.length + b.seen.length).toBe(2);
		expect(a.seen).toEqual([[id, 7]]);
		expect(b.seen).toEqual([[id, 7]]);
		// Its own events would have arrived before the answer to a later call.
		await mover.conn.ping();
		expect(mover.seen).toEqual([]);
		// Over HTTP the caller has no subscription: everyone subscribed gets it.
		await t.client.board.getOrCreate("b").move(8);
		await expect.poll(() => mover.seen.length).toBe(1);
		for (const side of [mover, a, b]) await side.conn.dispose();
	});
});
