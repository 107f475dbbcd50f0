// Presence: each client sets its own (a cursor, "typing"), the others see it
// with an identity the actor gives; never stored, gone with the connection,
// rate limited (merged, the latest wins), checked like any client input.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { turns } from "../helpers/controllable-storage.js";

const canvas = actor({
	state: {},
	createConnState: (_c, params: { name: string }) => ({ name: params.name }),
	presence: {
		// Who is who comes from the connection's server-side state, not from the client.
		identify: (conn) => ({ name: conn.state.name }),
		schema: z.object({ x: z.number(), y: z.number() }).strict(),
		maxPerSecond: 10,
	},
	actions: { ping: () => "pong" },
	options: { sleepTimeout: 1_000 },
});

const loose = actor({ state: {}, presence: true, actions: { ping: () => "pong" } });
/** One update every 2 s per connection, and asleep after 1 s: an update waits past the sleep. */
const slow = actor({
	state: {},
	presence: { maxPerSecond: 0.5 },
	actions: { ping: () => "pong" },
	options: { sleepTimeout: 1_000 },
});
const none = actor({ state: {}, actions: { ping: () => "pong" } });

const registry = setup({ use: { canvas, loose, none, slow }, logLevel: "silent" });

describe("presence", () => {
	it("shows each client's presence to the others, with the actor's identity, and drops it when they leave", async () => {
		await using t = await setupTest(registry);
		const ann = t.client.canvas.getOrCreate("c", { params: { name: "ann" } }).connect();
		const bob = t.client.canvas.getOrCreate("c", { params: { name: "bob" } }).connect();
		const bobSees: ReadonlyMap<string, unknown>[] = [];
		bob.onPresence((entries) => bobSees.push(entries));
		await bob.ping();
		await ann.setPresence({ x: 1, y: 2 });
		await ann.ping();
		const annId = ann.connectionId as string;
		await expect
			.poll(() => bob.presence.get(annId))
			.toEqual({ conn: annId, user: { name: "ann" }, data: { x: 1, y: 2 } });
		// A late joiner gets everyone's presence at once.
		const cy = t.client.canvas.getOrCreate("c", { params: { name: "cy" } }).connect();
		cy.onPresence(() => {});
		await expect.poll(() => cy.presence.get(annId)?.data).toEqual({ x: 1, y: 2 });
		await ann.dispose();
		await expect.poll(() => bob.presence.has(annId)).toBe(false);
		await bob.dispose();
		await cy.dispose();
	});

	it("merges updates past the rate: the others get fewer, and the latest", async () => {
		await using t = await setupTest(registry);
		const ann = t.client.canvas.getOrCreate("rate", { params: { name: "ann" } }).connect();
		const bob = t.client.canvas.getOrCreate("rate", { params: { name: "bob" } }).connect();
		const xs: number[] = [];
		bob.onPresence((entries) => {
			for (const entry of entries.values())
				if (entry.user?.name === "ann") xs.push((entry.data as { x: number }).x);
		});
		await bob.ping();
		for (let x = 1; x <= 30; x++) await ann.setPresence({ x, y: 0 });
		await turns(20);
		// Within one 100 ms window (the manual clock stands still) only the first went out.
		expect(xs).toEqual([1]);
		await t.clock.advance(100);
		await expect.poll(() => xs.at(-1)).toBe(30);
		expect(xs.length).toBeLessThanOrEqual(3);
		await ann.dispose();
		await bob.dispose();
	});

	it("sends the updates still waiting when the actor goes to sleep, the latest of each", async () => {
		await using t = await setupTest(registry);
		const ann = t.client.slow.getOrCreate("nap").connect();
		const bob = t.client.slow.getOrCreate("nap").connect();
		bob.onPresence(() => {});
		await bob.ping();
		await ann.setPresence({ x: 1 });
		await ann.setPresence({ x: 2 });
		await ann.setPresence({ x: 3 });
		const annId = ann.connectionId as string;
		await expect.poll(() => bob.presence.get(annId)?.data).toEqual({ x: 1 });
		// Asleep before ann's rate allows her next update: it goes out as the actor sleeps.
		await t.clock.advance(1_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await expect.poll(() => bob.presence.get(annId)?.data).toEqual({ x: 3 });
		await ann.dispose();
		await bob.dispose();
	});

	it("refuses a rate or size that is not a number above 0 where the actor is defined", () => {
		for (const presence of [
			{ maxFramesPerSecond: 0 },
			{ maxPerSecond: Number.NaN },
			{ maxBytes: -1 },
		])
			expect(() => actor({ state: {}, presence, actions: {} })).toThrow(/must be a number above 0/);
	});

	it("refuses presence that is not plain, too large, or against the schema", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.canvas.getOrCreate("bad", { params: { name: "mal" } }).connect();
		await expect(conn.setPresence({ x: 1, y: 2, admin: true } as never)).rejects.toMatchObject({
			group: "request",
			code: "invalid_presence",
		});
		const big = t.client.loose.getOrCreate("big").connect();
		await expect(big.setPresence("x".repeat(2_000))).rejects.toMatchObject({
			group: "limit",
			code: "presence_too_large",
		});
		const withProto = JSON.parse('{"__proto__": {"polluted": true}}');
		await expect(big.setPresence(withProto)).rejects.toMatchObject({ code: "invalid_value" });
		expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
		const nothing = t.client.none.getOrCreate("n").connect();
		// Said as it is, not as an action of an internal name (before 2026-11-28: action_not_found
		// `tenon.presence`).
		await expect(nothing.setPresence({ any: 1 })).rejects.toMatchObject({
			group: "actor",
			code: "not_shared",
		});
		expect(await conn.ping()).toBe("pong");
		await conn.dispose();
		await big.dispose();
		await nothing.dispose();
	});

	it("outlives the actor's sleep (it lives with the socket) and is never stored", async () => {
		await using t = await setupTest(registry);
		const ann = t.client.canvas.getOrCreate("sleepy", { params: { name: "ann" } }).connect();
		await ann.setPresence({ x: 5, y: 5 });
		await t.clock.advance(1_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		const bob = t.client.canvas.getOrCreate("sleepy", { params: { name: "bob" } }).connect();
		bob.onPresence(() => {});
		const annId = ann.connectionId as string;
		await expect.poll(() => bob.presence.get(annId)?.data).toEqual({ x: 5, y: 5 });
		await ann.dispose();
		await bob.dispose();
		// Nothing of it in storage: the connection records hold no presence.
		const marked = t.client.loose.getOrCreate("marked").connect();
		await marked.setPresence({ note: "PRESENCE-MARKER-4711" });
		await marked.ping();
		await t.settle();
		const actorId = await t.client.loose.getOrCreate("marked").resolve();
		const handles = await t.storage.open();
		const stored = await handles.store.list(actorId, {
			start: new Uint8Array([0]),
			end: new Uint8Array([0xff]),
		});
		expect(stored.length).toBeGreaterThan(0);
		for (const [, value] of stored)
			expect(Buffer.from(value).includes(Buffer.from("PRESENCE-MARKER"))).toBe(false);
		await marked.dispose();
	});
});
