import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { chatHistory, type Message } from "./chat-history.js";

const registry = setup({ use: { chatHistory }, logLevel: "silent" });

describe("chat room with SQLite history example (Drizzle)", () => {
	it("saves messages, broadcasts them, and pages back through history after a restart", async () => {
		await using t = await setupTest(registry);
		const room = t.client.chatHistory.getOrCreate("general");
		const ann = room.connect({ name: "ann" });
		const received: Message[] = [];
		ann.on("message", (message) => received.push(message));
		const bo = room.connect({ name: "bo" });
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
		const room = t.client.chatHistory.getOrCreate("strict");
		const conn = room.connect({ name: "eve" });
		await expect(conn.post("   ")).rejects.toMatchObject({ code: "bad_message" });
		await expect(conn.post("x".repeat(2_001))).rejects.toMatchObject({ code: "bad_message" });
		expect(await room.count()).toBe(0);
		await conn.dispose();
	});
});
