import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it, vi } from "vitest";
import { issueToken } from "../auth/tokens.js";
import { chatHistory, MAX_HISTORY, MAX_POSTS_PER_10S, type Message } from "./chat-history.js";

const registry = setup({ use: { chatHistory }, logLevel: "silent" });
const as = (userId: string) => ({ token: issueToken({ userId, roles: [] }) });

describe("chat room with SQLite history example (Drizzle)", () => {
	it("saves messages, broadcasts them, and pages back through history after a restart", async () => {
		await using t = await setupTest(registry);
		const room = t.client.chatHistory.getOrCreate("general", { params: as("ann") });
		const ann = room.connect(as("ann"));
		const received: Message[] = [];
		ann.on("message", (message) => received.push(message));
		const bo = room.connect(as("bo"));
		await ann.post("hello");
		await bo.post("hi ann");
		for (let i = 0; i < 5; i++) await ann.post(`note ${i}`);
		await expect.poll(() => received.length).toBe(7);
		await ann.dispose();
		await bo.dispose();

		await t.restart();
		expect(await room.count()).toBe(7);
		const newest = await room.history(3);
		expect(newest.map((m) => m.body)).toEqual(["note 4", "note 3", "note 2"]);
		const older = await room.history(3, newest.at(-1)?.id);
		expect(older.map((m) => m.body)).toEqual(["note 1", "note 0", "hi ann"]);
		expect((await room.byAuthor("bo")).map((m) => m.body)).toEqual(["hi ann"]);
		expect((await room.search("note", "ann")).length).toBe(5);
		expect((await room.search("%")).length).toBe(7);
	});

	it("rejects bad messages without storing anything", async () => {
		await using t = await setupTest(registry);
		const room = t.client.chatHistory.getOrCreate("strict", { params: as("eve") });
		const conn = room.connect(as("eve"));
		await expect(conn.post("   ")).rejects.toMatchObject({ code: "bad_message" });
		await expect(conn.post("x".repeat(2_001))).rejects.toMatchObject({ code: "bad_message" });
		expect(await room.count()).toBe(0);
		await conn.dispose();
	});

	// A review (2026-11-26) posted 700 messages of 2,000 characters with no token, all kept,
	// and read them all back in one `search("")` (1.4 MB): nothing bounded a room's history.
	it("keeps the newest messages only, and answers in pages", async () => {
		await using t = await setupTest(registry);
		const room = t.client.chatHistory.getOrCreate("busy", { params: as("ann") });
		const conn = room.connect(as("ann"));
		// Posting is rate limited (20 a user per 10 s): the clock moves on every 20 posts.
		vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
		try {
			for (let i = 0; i < MAX_HISTORY + 20; i++) {
				if (i % MAX_POSTS_PER_10S.perUser === 0) vi.setSystemTime(Date.now() + 10_001);
				await conn.post(`message ${i}`);
			}
		} finally {
			vi.useRealTimers();
		}
		expect(await room.count()).toBe(MAX_HISTORY);
		// Paging back through all of it ends at the oldest message kept.
		const kept: Message[] = [];
		for (;;) {
			const page = await room.history(200, kept.at(-1)?.id);
			if (page.length === 0) break;
			kept.push(...page);
		}
		expect(kept).toHaveLength(MAX_HISTORY);
		expect([kept[0]?.body, kept.at(-1)?.body]).toEqual([
			`message ${MAX_HISTORY + 19}`,
			"message 20",
		]);
		// Every query answers a page (50 unless asked, at most 200), newest first.
		for (const page of [await room.search(""), await room.byAuthor("ann")])
			expect(page).toHaveLength(50);
		const first = await room.search("message", "ann", 200);
		expect(first).toHaveLength(200);
		const next = await room.byAuthor("ann", 200, first.at(-1)?.id);
		expect(next[0]?.id).toBe((first.at(-1)?.id ?? 0) - 1);
		await expect(room.search("", undefined, 201)).rejects.toMatchObject({ code: "invalid_args" });
		await conn.dispose();
	});

	it("bounds how often one user, and everyone together, may post (a room keeps only 500)", async () => {
		// Date stands still, so the whole flood lands in one window however slow the machine.
		vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
		try {
			// Regression (an attacker probe, 2026-11-27): one user's 510 posts in a second wiped the history.
			await using t = await setupTest(registry);
			const room = (userId: string) =>
				t.client.chatHistory.getOrCreate("flood", { params: as(userId) });
			await room("ann").post("hello from ann");
			for (let i = 1; i < MAX_POSTS_PER_10S.perUser; i++) await room("eve").post(`spam ${i}`);
			await room("eve").post("last one");
			await expect(room("eve").post("one more")).rejects.toMatchObject({ code: "rate_limited" });
			// Guests together stop at the room's bound.
			let sent = 1 + MAX_POSTS_PER_10S.perUser;
			for (const guest of ["g1", "g2", "g3"])
				for (
					let i = 0;
					i < MAX_POSTS_PER_10S.perUser && sent < MAX_POSTS_PER_10S.perRoom;
					i++, sent++
				)
					await room(guest).post(`flood ${i}`);
			await expect(room("g1").post("and more")).rejects.toMatchObject({ code: "rate_limited" });
			// Someone who has not posted in the window still can, once.
			await room("bo").post("hi");
			await expect(room("bo").post("hello?")).rejects.toMatchObject({ code: "rate_limited" });
			expect((await room("bo").byAuthor("ann")).map((m) => m.body)).toEqual(["hello from ann"]);
			expect(await room("bo").count()).toBe(MAX_POSTS_PER_10S.perRoom + 1);
		} finally {
			vi.useRealTimers();
		}
	});

	it("lets only signed-in users open a room and post, each as themselves", async () => {
		await using t = await setupTest(registry);
		await expect(t.client.chatHistory.getOrCreate("lobby").count()).rejects.toMatchObject({
			code: "unauthorized",
		});
		const room = t.client.chatHistory.getOrCreate("lobby", { params: as("ann") });
		expect(await room.count()).toBe(0);
		const anonymous = room.connect({ name: "ann" } as never);
		await expect(anonymous.post("I am ann")).rejects.toMatchObject({ code: "unauthorized" });
		await anonymous.dispose();
		const bo = room.connect(as("bo"));
		expect(await bo.post("hi")).toMatchObject({ author: "bo", body: "hi" });
		expect(await room.count()).toBe(1);
		await bo.dispose();
	});
});
