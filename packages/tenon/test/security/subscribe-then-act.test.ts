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

const registry = setup({ use: { room } });

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
});
