// The client's event subscriptions: a listener that is gone ends the
// server-side subscription, so the server stops sending its events, and a
// reconnect does not subscribe to it again.
import { describe, expect, it } from "vitest";
import { WebSocket as WsWebSocket } from "ws";
import { createClient } from "../../src/client/index.js";
import { actor, event, setup } from "../../src/index.js";
import { setupTest, type TestContext } from "../../src/test/index.js";

const counter = actor({
	state: { count: 0 },
	events: { changed: event<number>() },
	actions: {
		increment: (c) => {
			c.state.count++;
			c.broadcast("changed", c.state.count);
			return c.state.count;
		},
		get: (c) => c.state.count,
	},
});

const registry = setup({ use: { counter }, logLevel: "silent" });

/**
 * A `ws` WebSocket that counts the frames it receives and dials the test
 * server's current address (its port changes on `restart()`).
 */
function countingWebSocket(t: TestContext<typeof registry>) {
	const stats = { frames: 0 };
	class Counting extends WsWebSocket {
		constructor(url: string, protocols?: string | string[]) {
			const routed = new URL(url);
			routed.host = new URL(t.url).host;
			super(routed.href, protocols);
			this.on("message", () => {
				stats.frames++;
			});
		}
	}
	return { stats, WebSocket: Counting as unknown as typeof globalThis.WebSocket };
}

/**
 * Event frames that reach `conn` while `rounds` events are broadcast: a call
 * on the connection afterwards is a barrier (the server writes a
 * connection's frames in order, so its answer comes after those events).
 */
async function eventFramesDuring(
	t: TestContext<typeof registry>,
	stats: { frames: number },
	conn: { get(): Promise<number> },
	key: string,
	rounds: number,
): Promise<number> {
	const before = stats.frames;
	const http = t.client.counter.getOrCreate(key);
	for (let i = 0; i < rounds; i++) await http.increment();
	await conn.get();
	// The barrier's own answer is one frame.
	return stats.frames - before - 1;
}

describe("event subscriptions", () => {
	it("a once() listener that fired ends the server subscription", async () => {
		await using t = await setupTest(registry);
		const { stats, WebSocket } = countingWebSocket(t);
		const client = createClient<typeof registry>({ endpoint: t.url, WebSocket });
		const conn = client.counter.getOrCreate("once").connect();
		const seen: number[] = [];
		conn.once("changed", (n) => seen.push(n));
		await expect.poll(() => conn.connStatus).toBe("connected");
		// The subscription went out with the open; an action on this connection
		// comes back after the server took it.
		await conn.increment();
		await expect.poll(() => seen).toEqual([1]);
		expect(await eventFramesDuring(t, stats, conn, "once", 10)).toBe(0);
		expect(seen).toEqual([1]);
		await client.dispose();
	});

	it("a reconnect does not subscribe again to an event whose once() listener fired", async () => {
		await using t = await setupTest(registry);
		const { stats, WebSocket } = countingWebSocket(t);
		const client = createClient<typeof registry>({
			endpoint: t.url,
			WebSocket,
			reconnect: { minDelayMs: 20, maxDelayMs: 40 },
		});
		const conn = client.counter.getOrCreate("reconnect").connect();
		const seen: number[] = [];
		conn.once("changed", (n) => seen.push(n));
		const opened: string[] = [];
		conn.onOpen(() => opened.push("open"));
		await expect.poll(() => conn.connStatus).toBe("connected");
		await conn.increment();
		await expect.poll(() => seen).toEqual([1]);
		// The server took the unsubscribe (frames of a connection are handled in order).
		await conn.get();
		await t.restart();
		await expect.poll(() => opened.length, { timeout: 10_000 }).toBe(2);
		expect(await eventFramesDuring(t, stats, conn, "reconnect", 10)).toBe(0);
		expect(seen).toEqual([1]);
		await client.dispose();
	});

	it("an unsubscribe while the connection is away reaches the server when it resumes", async () => {
		await using t = await setupTest(registry);
		const { stats, WebSocket } = countingWebSocket(t);
		const client = createClient<typeof registry>({
			endpoint: t.url,
			WebSocket,
			reconnect: { minDelayMs: 20, maxDelayMs: 40 },
		});
		const conn = client.counter.getOrCreate("away").connect();
		const seen: number[] = [];
		const off = conn.on("changed", (n) => seen.push(n));
		const opened: string[] = [];
		conn.onOpen(() => opened.push("open"));
		// The listener goes while the socket is down; the resumed connection
		// keeps the subscriptions the server stored with it.
		conn.onStatusChange((status) => {
			if (status === "disconnected") off();
		});
		await expect.poll(() => conn.connStatus).toBe("connected");
		await conn.increment();
		await expect.poll(() => seen).toEqual([1]);
		await t.restart();
		await expect.poll(() => opened.length, { timeout: 10_000 }).toBe(2);
		expect(await eventFramesDuring(t, stats, conn, "away", 10)).toBe(0);
		expect(seen).toEqual([1]);
		await client.dispose();
	});

	it("the unsubscribe function of a once() listener that fired leaves other listeners subscribed", async () => {
		await using t = await setupTest(registry);
		const client = createClient<typeof registry>(t.url);
		const conn = client.counter.getOrCreate("others").connect();
		const once: number[] = [];
		const off = conn.once("changed", (n) => once.push(n));
		await expect.poll(() => conn.connStatus).toBe("connected");
		await conn.increment();
		await expect.poll(() => once).toEqual([1]);
		const later: number[] = [];
		conn.on("changed", (n) => later.push(n));
		off();
		await conn.increment();
		await expect.poll(() => later).toEqual([2]);
		expect(once).toEqual([1]);
		await client.dispose();
	});

	it("off() of an on() listener ends the server subscription (control)", async () => {
		await using t = await setupTest(registry);
		const { stats, WebSocket } = countingWebSocket(t);
		const client = createClient<typeof registry>({ endpoint: t.url, WebSocket });
		const conn = client.counter.getOrCreate("on").connect();
		const seen: number[] = [];
		const off = conn.on("changed", (n) => seen.push(n));
		await expect.poll(() => conn.connStatus).toBe("connected");
		await conn.increment();
		await expect.poll(() => seen).toEqual([1]);
		off();
		expect(await eventFramesDuring(t, stats, conn, "on", 10)).toBe(0);
		await client.dispose();
	});
});
