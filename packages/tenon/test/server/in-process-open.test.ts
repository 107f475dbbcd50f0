// An actor's raw WebSocket to another actor (c.client(), in-process) fired
// "open" before the caller of `await handle.webSocket()` could listen for it:
// the in-process upgrade answered within the same turn (a review, 2026-11-29).
// A browser's or `ws`'s socket opens in a later task, so code awaiting "open"
// after creating the socket hung.
import { expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";

const raw = actor({
	state: {},
	onWebSocket: (_c, socket) => socket.send("hello"),
	actions: {},
});
const caller = actor({
	state: {},
	actions: {
		openRaw: async (c): Promise<string[]> => {
			const client = c.client<typeof registry>();
			// Resolve the actor first, so the upgrade needs no lookup and answers at once.
			await client.raw.getOrCreate("r").resolve();
			const socket = await client.raw.getOrCreate("r").webSocket();
			const seen: string[] = [];
			await new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error("no open event")), 2_000);
				socket.addEventListener("open", () => seen.push("open"));
				socket.addEventListener("message", (event) => {
					seen.push(String(event.data));
					clearTimeout(timer);
					resolve();
				});
			});
			socket.close();
			return seen;
		},
	},
});
const registry = setup({ use: { raw, caller }, logLevel: "silent" });

it("opens an in-process raw socket after its creator could listen, then delivers its messages", async () => {
	await using server = await registry.start({
		port: 0,
		host: "127.0.0.1",
		storage: memoryDriver(),
	});
	const { createClient } = await import("../../src/client/index.js");
	const client = createClient<typeof registry>(server.url);
	try {
		for (let i = 0; i < 3; i++)
			expect(await client.caller.getOrCreate(`c${i}`).openRaw()).toEqual(["open", "hello"]);
	} finally {
		await client.dispose();
	}
});

let rawOpened = 0;
const counted = actor({
	state: {},
	onWebSocket: () => {
		rawOpened++;
	},
	actions: {},
});
const closer = actor({
	state: {},
	actions: {
		closeWhileConnecting: async (c): Promise<number> => {
			const client = c.client<typeof closingRegistry>();
			await client.counted.getOrCreate("n").resolve();
			const socket = await client.counted.getOrCreate("n").webSocket();
			socket.close();
			await new Promise((resolve) => setTimeout(resolve, 50));
			return socket.readyState;
		},
	},
});
const closingRegistry = setup({ use: { counted, closer }, logLevel: "silent" });

it("opens nothing for an in-process socket closed while it connected", async () => {
	await using server = await closingRegistry.start({
		port: 0,
		host: "127.0.0.1",
		storage: memoryDriver(),
	});
	const { createClient } = await import("../../src/client/index.js");
	const client = createClient<typeof closingRegistry>(server.url);
	try {
		expect(await client.closer.getOrCreate("c").closeWhileConnecting()).toBe(3);
		// The actor never saw it open (it did, on a socket closed already).
		expect(rawOpened).toBe(0);
	} finally {
		await client.dispose();
	}
});
