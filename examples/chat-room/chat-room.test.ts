import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { chatRoom, type Message } from "./chat-room.js";

const registry = setup({ use: { chatRoom }, logLevel: "silent" });

describe("chat room example", () => {
	it("delivers messages to everyone in the room and keeps history", async () => {
		await using t = await setupTest(registry);
		const room = (userId: string) =>
			t.client.chatRoom.getOrCreate(["general"], {
				params: { userId },
				createWithInput: { topic: "Anything goes" },
			});
		const ada = room("ada").connect();
		const bob = room("bob").connect();
		const seenByBob: Message[] = [];
		bob.on("message", (message) => seenByBob.push(message));
		const joined: string[] = [];
		ada.on("joined", (userId) => joined.push(userId));
		expect(await bob.online()).toEqual(expect.arrayContaining(["ada", "bob"]));

		const sent = await ada.sendMessage("hello bob");
		expect(sent).toMatchObject({ id: 1, userId: "ada", text: "hello bob" });
		await expect.poll(() => seenByBob.map((m) => m.text)).toEqual(["hello bob"]);
		expect(await room("carol").topic()).toBe("Anything goes");
		expect((await room("carol").history()).map((m) => m.text)).toEqual(["hello bob"]);
		await ada.dispose();
		await bob.dispose();
	});

	it("rejects connections without a user id and bad messages", async () => {
		await using t = await setupTest(registry);
		const anonymous = t.client.chatRoom.getOrCreate("r");
		await expect(anonymous.history()).rejects.toMatchObject({
			group: "user",
			code: "unauthorized",
		});
		const ada = t.client.chatRoom.getOrCreate("r", { params: { userId: "ada" } });
		await expect(ada.sendMessage("   ")).rejects.toMatchObject({ code: "empty_message" });
		await expect(ada.sendMessage("x".repeat(2_001))).rejects.toMatchObject({ code: "too_long" });
	});

	it("keeps history across sleep and restart", async () => {
		await using t = await setupTest(registry);
		const ada = t.client.chatRoom.getOrCreate("durable", { params: { userId: "ada" } });
		await ada.sendMessage("one");
		await t.clock.advance(30_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await t.restart();
		await ada.sendMessage("two");
		expect((await ada.history()).map((m) => m.text)).toEqual(["one", "two"]);
	});
});
