import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it, vi } from "vitest";
import { rawSocket } from "../../packages/tenon/test/helpers/raw.js";
import { issueToken } from "../auth/tokens.js";
import {
	chatRoom,
	MAX_MESSAGES_PER_10S,
	MAX_ROOM_MESSAGES_PER_10S,
	MAX_TOPIC,
	type Message,
} from "./chat-room.js";

const registry = setup({ use: { chatRoom }, logLevel: "silent" });

const tokenFor = (userId: string) => issueToken({ userId, roles: [] });

describe("chat room example", () => {
	it("delivers messages to everyone in the room and keeps history", async () => {
		await using t = await setupTest(registry);
		const room = (userId: string) =>
			t.client.chatRoom.getOrCreate(["general"], {
				params: { token: tokenFor(userId) },
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

	it("takes the author from the verified token, never from the client", async () => {
		await using t = await setupTest(registry);
		const ada = t.client.chatRoom.getOrCreate("r", { params: { token: tokenFor("ada") } });
		expect(await ada.sendMessage("hi")).toMatchObject({ userId: "ada" });
		for (const params of [
			undefined,
			{ userId: "ada" },
			{ token: "forged.signature" },
			{ token: issueToken({ userId: "ada", roles: [] }, 60_000, "another-secret") },
			{ token: issueToken({ userId: "ada", roles: [] }, -1) },
		]) {
			// Whatever a client claims, with or without a token: nothing but a valid one passes.
			const impostor = t.client.chatRoom.getOrCreate("r", { params: params as never });
			await expect(impostor.sendMessage("as ada")).rejects.toMatchObject({
				group: "user",
				code: "unauthorized",
			});
		}
		// Nobody may open a room without signing in.
		await expect(t.client.chatRoom.getOrCreate("new-room").topic()).rejects.toMatchObject({
			code: "unauthorized",
		});
	});

	it("opens a room only with a readable topic, and leaves no room behind a refused one", async () => {
		await using t = await setupTest(registry);
		const open = (key: string, topic: unknown) =>
			t.client.chatRoom
				.getOrCreate(key, {
					params: { token: tokenFor("ada") },
					createWithInput: { topic } as never,
				})
				.topic();
		const emojis = "😀".repeat(MAX_TOPIC); // zod counts characters, not UTF-16 units
		const refused = ["\u202egnp.exe\u0007", "   \u200b ", `${emojis}!`, 42, ""];
		for (const [i, topic] of refused.entries()) {
			await expect(open(`bad-${i}`, topic)).rejects.toMatchObject({
				group: "user",
				code: "invalid_topic",
			});
			// Refused by `onBeforeCreate`: nothing was created.
			expect(
				await t.client.chatRoom
					.get(`bad-${i}`)
					.resolve()
					.catch(() => "none"),
			).toBe("none");
		}
		expect(await open("good", emojis)).toBe(emojis);
		expect(
			await t.client.chatRoom.getOrCreate("none", { params: { token: tokenFor("ada") } }).topic(),
		).toBe("");
	});

	it("rejects bad messages with stable codes", async () => {
		await using t = await setupTest(registry);
		const ada = t.client.chatRoom.getOrCreate("r", { params: { token: tokenFor("ada") } });
		await expect(ada.sendMessage("   ")).rejects.toMatchObject({ code: "empty_message" });
		await expect(ada.sendMessage("x".repeat(2_001))).rejects.toMatchObject({ code: "too_long" });
		// Hidden characters (a probe, 2026-11-27): controls, direction overrides; invisible-only text.
		for (const hidden of ["\u0000\u001b[2J", "\u202emoc.knab@nimda"])
			await expect(ada.sendMessage(hidden)).rejects.toMatchObject({ code: "invalid_args" });
		await expect(ada.sendMessage("\u200b\u200b")).rejects.toMatchObject({ code: "empty_message" });
		expect(await ada.sendMessage("two\nlines 👨‍👩‍👧")).toMatchObject({ text: "two\nlines 👨‍👩‍👧" });
		await expect(
			(ada as unknown as { sendMessage(text: unknown): Promise<unknown> }).sendMessage(42),
		).rejects.toMatchObject({ code: "invalid_args" });
	});

	it("lets one user send a bounded number of messages at a time; the others still can", async () => {
		await using t = await setupTest(registry);
		const room = (userId: string) =>
			t.client.chatRoom.getOrCreate("busy", { params: { token: tokenFor(userId) } });
		for (let i = 0; i < MAX_MESSAGES_PER_10S; i++) await room("eve").sendMessage(`spam ${i}`);
		await expect(room("eve").sendMessage("one more")).rejects.toMatchObject({
			code: "rate_limited",
		});
		expect(await room("ada").sendMessage("hi")).toMatchObject({ userId: "ada", text: "hi" });
	});

	it("bounds how often everyone together may send, so a few accounts cannot wipe the room", async () => {
		// Date stands still, so the whole flood lands in one window however slow the machine.
		vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
		try {
			// Regression (an attacker probe, 2026-11-27): eight guest accounts, each within its own
			// bound, pushed everyone else's messages out of the 500 kept in half a minute.
			await using t = await setupTest(registry);
			const room = (userId: string) =>
				t.client.chatRoom.getOrCreate("crowded", { params: { token: tokenFor(userId) } });
			let sent = 0;
			for (const guest of ["g1", "g2", "g3", "g4"])
				for (let i = 0; i < MAX_MESSAGES_PER_10S && sent < MAX_ROOM_MESSAGES_PER_10S; i++, sent++)
					await room(guest).sendMessage(`flood ${i}`);
			await expect(room("g1").sendMessage("and more")).rejects.toMatchObject({
				code: "rate_limited",
			});
			// Someone who has not posted in the window still can, once: the flood cannot silence the room.
			expect(await room("ada").sendMessage("hi all")).toMatchObject({ userId: "ada" });
			await expect(room("ada").sendMessage("hello?")).rejects.toMatchObject({
				code: "rate_limited",
			});
			expect(await room("ada").history(500)).toHaveLength(MAX_ROOM_MESSAGES_PER_10S + 1);
		} finally {
			vi.useRealTimers();
		}
	});

	it("keeps history across sleep and restart", async () => {
		await using t = await setupTest(registry);
		const ada = t.client.chatRoom.getOrCreate("durable", { params: { token: tokenFor("ada") } });
		await ada.sendMessage("one");
		await t.clock.advance(30_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await t.restart();
		await ada.sendMessage("two");
		expect((await ada.history()).map((m) => m.text)).toEqual(["one", "two"]);
	});

	it("announces a user once for several connections, and at most 10 times per 10 s", async () => {
		// An attacker probe (2026-11-29): one account opening and closing sockets in a loop pushed
		// 600 `joined`/`left` a second to every listener.
		await using t = await setupTest(registry);
		const room = (userId: string) =>
			t.client.chatRoom.getOrCreate(["lobby"], { params: { token: tokenFor(userId) } });
		const bob = room("bob").connect();
		const heard: string[] = [];
		bob.on("joined", (userId) => heard.push(`+${userId}`));
		bob.on("left", (userId) => heard.push(`-${userId}`));
		await bob.online();
		const first = room("eve").connect();
		const second = room("eve").connect();
		await first.online();
		await second.online();
		await expect.poll(() => heard).toEqual(["+eve"]);
		await second.dispose();
		for (let i = 0; i < 20; i++) {
			const extra = room("eve").connect();
			await extra.online();
			await extra.dispose();
		}
		await first.dispose();
		await expect.poll(() => heard.at(-1)).toBeDefined();
		await new Promise((resolve) => setTimeout(resolve, 200));
		// Her second socket and its 20 neighbours were never announced; she left once, or her
		// announcements ran out.
		expect(heard.length).toBeLessThanOrEqual(10);
		expect(heard.filter((entry) => entry === "+eve")).toHaveLength(1);
		expect(await bob.online()).toEqual(["bob"]);
		await bob.dispose();
	});

	it("does not announce a user gone while a connection of theirs waits to resume", async () => {
		// A review, 2026-11-29: a lost socket is out of `c.conns`, and closing the user's other
		// connection announced them gone; resumed, they were never announced back.
		await using t = await setupTest(registry);
		const room = (userId: string) =>
			t.client.chatRoom.getOrCreate(["resume"], { params: { token: tokenFor(userId) } });
		const bob = room("bob").connect();
		const heard: string[] = [];
		bob.on("joined", (userId) => heard.push(`+${userId}`));
		bob.on("left", (userId) => heard.push(`-${userId}`));
		await bob.online();
		const url = `${t.url.replace(/^http/, "ws")}/gateway/chatRoom/connect?rvt-method=getOrCreate&rvt-key=resume`;
		const protocols = [
			"rivet",
			"rivet_encoding.json",
			`rivet_conn_params.${encodeURIComponent(JSON.stringify({ token: tokenFor("eve") }))}`,
			`rivet_conn_token.${"e".repeat(40)}`,
		];
		const lost = await rawSocket(url, protocols);
		await expect.poll(() => lost.decoded().length).toBeGreaterThan(0);
		const connectionId = lost.decoded()[0].body.val.connectionId as string;
		const other = room("eve").connect();
		await other.online();
		lost.ws.terminate();
		await other.dispose();
		const back = await rawSocket(url, [...protocols, `rivet_conn.${connectionId}`]);
		await expect.poll(() => back.decoded().length).toBeGreaterThan(0);
		expect(await bob.online()).toContain("eve");
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(heard).toEqual(["+eve"]);
		back.ws.close();
		await expect.poll(() => heard).toEqual(["+eve", "-eve"]);
		await bob.dispose();
	});
});
