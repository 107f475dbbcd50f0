// A subscription whose event has a `canSubscribe` check applies once the
// check answers; an action sent right after it on the same connection ran at
// once, so its broadcast went out before the subscription existed and the
// client never saw it (and an open event subscribed after a guarded one
// waited behind the check too, a walkthrough, 2026-11-28). Actions now wait
// for the subscription changes sent before them on their connection.
import { describe, expect, it } from "vitest";
import { actor, event, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const room = actor({
	state: { said: 0 },
	createConnState: (_c, params: { role?: string } | undefined) => ({
		role: params?.role ?? "guest",
	}),
	events: {
		news: event<string>(),
		audit: event<string>({
			// An answer that takes a while, as a lookup in a database would.
			canSubscribe: async (c) => {
				await new Promise((resolve) => setTimeout(resolve, 80));
				return c.conn.state.role === "admin";
			},
		}),
	},
	actions: {
		say: (c, text: string) => {
			c.state.said++;
			c.broadcast("audit", text);
			c.broadcast("news", text);
			return c.state.said;
		},
	},
});

/** A check that never answers (a lookup that hangs), under a short action timeout. */
const stuck = actor({
	state: { said: 0 },
	options: { actionTimeout: 300 },
	events: { audit: event<string>({ canSubscribe: () => new Promise<boolean>(() => {}) }) },
	actions: {
		say: (c) => ++c.state.said,
		said: (c) => c.state.said,
	},
});

const registry = setup({ use: { room, stuck } });

describe("an action sent right after a subscription on its connection", () => {
	it("runs after the subscription's check, so the subscriber sees its broadcast", async () => {
		await using t = await setupTest(registry);
		const admin = t.client.room.getOrCreate("r", { params: { role: "admin" } }).connect();
		const seen: string[] = [];
		admin.on("audit", (text) => seen.push(`audit:${text}`));
		admin.on("news", (text) => seen.push(`news:${text}`));
		expect(await admin.say("first")).toBe(1);
		await expect.poll(() => seen).toEqual(["audit:first", "news:first"]);
		await admin.dispose();
	});

	it("still answers after a refused subscription, and an open event subscribed behind it sees the broadcast", async () => {
		await using t = await setupTest(registry);
		const guest = t.client.room.getOrCreate("r", { params: { role: "guest" } }).connect();
		const seen: string[] = [];
		const refusals: unknown[] = [];
		guest.onError((error) => refusals.push(error));
		guest.on("audit", (text) => seen.push(`audit:${text}`));
		guest.on("news", (text) => seen.push(`news:${text}`));
		expect(await guest.say("hello")).toBe(1);
		await expect.poll(() => seen).toEqual(["news:hello"]);
		expect(refusals).toHaveLength(1);
		expect(refusals[0]).toMatchObject({ group: "auth", code: "forbidden" });
		await guest.dispose();
	});

	it("waits at most the action timeout for a check that never answers, which then refuses", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.stuck.getOrCreate("s").connect();
		const refusals: unknown[] = [];
		conn.onError((error) => refusals.push(error));
		conn.on("audit", () => {});
		const said = conn.say();
		await new Promise((resolve) => setTimeout(resolve, 100));
		// The action timeout runs on the test's clock.
		await t.clock.advance(400);
		expect(await said).toBe(1);
		await expect.poll(() => refusals.length).toBe(1);
		await conn.dispose();
	});

	it("does not run an action whose connection closed while it waited", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.room.getOrCreate("gone", { params: { role: "admin" } }).connect();
		conn.on("audit", () => {});
		// Sent behind the subscription's 80 ms check; the connection closes meanwhile.
		const asked = conn.say("late").catch(() => "lost");
		await new Promise((resolve) => setTimeout(resolve, 20));
		await conn.dispose();
		expect(await asked).toBe("lost");
		await new Promise((resolve) => setTimeout(resolve, 200));
		// The actor's count shows no run of it (the next say is the first).
		expect(await t.client.room.getOrCreate("gone").say("next")).toBe(1);
	});
});
