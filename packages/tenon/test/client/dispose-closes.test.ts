// A client's dispose() closed the connections it had, but not its raw WebSockets, and the
// client went on opening connections afterwards, never closed: a fallback's callerClient
// used after its request ended left them open for good (a review, 2026-11-29).
import { afterAll, beforeAll, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";

let rawOpen = 0;
const room = actor({
	state: {},
	onWebSocket: (_c, socket) => {
		rawOpen++;
		socket.addEventListener("close", () => rawOpen--);
	},
	actions: { open: (c) => c.conns.size },
});
const registry = setup({ use: { room }, logLevel: "silent" });
let server: TenonServer;

beforeAll(async () => {
	server = await registry.start({ port: 0, host: "127.0.0.1", storage: memoryDriver() });
});
afterAll(async () => {
	await server?.close();
});

it("closes raw WebSockets too, and what the client opens after it", async () => {
	const client = createClient<typeof registry>(server.url);
	const probe = createClient<typeof registry>(server.url);
	try {
		const handle = client.room.getOrCreate("r");
		const socket = await handle.webSocket();
		await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
		await expect.poll(() => rawOpen).toBe(1);
		const conn = handle.connect();
		expect(await conn.open()).toBe(1);
		await client.dispose();
		await expect.poll(() => rawOpen).toBe(0);
		await expect.poll(() => probe.room.getOrCreate("r").open()).toBe(0);
		// Opened after dispose(): closed at once.
		const late = client.room.getOrCreate("r").connect();
		await expect(late.open()).rejects.toMatchObject({ group: "client", code: "disposed" });
		const lateSocket = await client.room.getOrCreate("r").webSocket();
		await new Promise((resolve) => lateSocket.addEventListener("close", resolve, { once: true }));
		await expect.poll(() => rawOpen).toBe(0);
		expect(await probe.room.getOrCreate("r").open()).toBe(0);
	} finally {
		await probe.dispose();
	}
});
