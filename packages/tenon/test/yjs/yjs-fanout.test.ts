// A document update goes to every other subscriber as one frame, encoded
// once (yjs/actor.ts, `broadcastExcept`): sent one connection at a time, it
// was encoded again for each, and a 500 KB paste into a note with 300
// subscribers on JSON blocked the loop for 1.6 s, with 1,000 for 5 s (an
// attacker probe, 2026-11-25).
import { describe, expect, it } from "vitest";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { worstStallDuring } from "../helpers/loop-stalls.js";
import { type RawSocket, rawSocket } from "../helpers/raw.js";
import { note, textUpdateMessage } from "./fixtures.js";

const SUBSCRIBERS = 150;
const subscribe = JSON.stringify({
	body: { tag: "SubscriptionRequest", val: { eventName: "yjsSync", subscribe: true } },
});
const ping = JSON.stringify({
	body: { tag: "ActionRequest", val: { id: 1, name: "yjsAwarenessSnapshot", args: [] } },
});

/** Frames of `socket` that carry a `yjsSync` event (read without parsing the large ones). */
const syncEvents = (socket: RawSocket) =>
	socket.messages.filter(
		(message) => typeof message === "string" && message.startsWith('{"body":{"tag":"Event"'),
	);

describe("a document update with many subscribers", () => {
	it("goes to every other subscriber as one frame, without blocking the loop for each", async () => {
		await using t = await setupTest(setup({ use: { note }, logLevel: "silent" }));
		const url = `${t.url.replace("http", "ws")}/gateway/note/connect?rvt-method=getOrCreate&rvt-key=popular`;
		const sockets: RawSocket[] = [];
		for (let i = 0; i < SUBSCRIBERS; i++) sockets.push(await rawSocket(url, []));
		for (const socket of sockets) {
			socket.ws.send(subscribe);
			socket.ws.send(ping);
		}
		// Each answered the ping sent after its subscription: all are subscribed.
		await expect
			.poll(() =>
				sockets.every((s) => s.messages.some((m) => String(m).includes("ActionResponse"))),
			)
			.toBe(true);

		// The subscribers read nothing while the server sends: their own reading (in this
		// process) is not the server's time.
		for (const socket of sockets) socket.ws.pause();
		const writer = t.client.note.getOrCreate("popular", { params: { user: "writer" } });
		const paste = textUpdateMessage("x".repeat(400_000));
		const worst = await worstStallDuring(async () => {
			await writer.yjsSync(paste);
			// The frames leave with the update's commit; a turn for the last writes.
			await new Promise((resolve) => setTimeout(resolve, 50));
		});
		// Encoded for each subscriber, this blocked the loop for 350 to 500 ms here (45 ms now).
		expect(worst).toBeLessThan(250);
		for (const socket of sockets) socket.ws.resume();
		await expect
			.poll(() => sockets.every((s) => syncEvents(s).length === 1), { timeout: 20_000 })
			.toBe(true);
		const frames = new Set(sockets.map((s) => syncEvents(s)[0]));
		expect(frames.size).toBe(1);
		expect([...frames][0]?.length).toBeGreaterThan(500_000);
		expect((await writer.text()).length).toBe(400_000);
		for (const socket of sockets) socket.ws.terminate();
	}, 60_000);

	it("does not go back to the connection that sent it", async () => {
		await using t = await setupTest(setup({ use: { note }, logLevel: "silent" }));
		const open = async (user: string) => {
			const conn = t.client.note.getOrCreate("echo", { params: { user } }).connect();
			const got: Uint8Array[] = [];
			conn.on("yjsSync", (message) => got.push(message));
			// A call after the subscription: it is in place once this answers.
			await conn.yjsAwarenessSnapshot();
			return { conn, got };
		};
		const sender = await open("sender");
		const other = await open("other");
		await sender.conn.yjsSync(textUpdateMessage("mine"));
		await expect.poll(() => other.got.length).toBe(1);
		// A later call's answer comes after any event of the turns before it.
		await sender.conn.yjsAwarenessSnapshot();
		expect(sender.got).toEqual([]);
		await sender.conn.dispose();
		await other.conn.dispose();
	});
});
