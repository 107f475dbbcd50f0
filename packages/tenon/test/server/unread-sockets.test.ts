// Sockets that never read (an attacker probe, 2026-11-29): 256 of one address took 12-byte
// events until the server's heap ran out at 4 GB, each socket far under its 16 MiB because
// every queued write costs heap beside its bytes; and 256 such sockets held 16 MiB each of
// 1 MB replies, 4.3 GB per address, kept 30 s after their close. Now a socket is dropped past
// MAX_QUEUED_CHUNKS writes or its share of the node's budget, and ended a second after its
// close frame, its memory freed.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { MAX_QUEUED_CHUNKS, type SendBudget, wireSocket } from "../../src/server/wired-socket.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
	for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A server socket wired as Tenon's, and its client, which reads nothing. */
async function unreadPair(budget: SendBudget) {
	const http = createServer();
	const wss = new WebSocketServer({ server: http });
	await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
	const accepted = new Promise<WebSocket>((resolve) => wss.once("connection", resolve));
	const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
	await new Promise((resolve) => client.once("open", resolve));
	// Reads nothing more (a small window, as a remote client's).
	(client as unknown as { _socket: { pause(): void } })._socket.pause();
	const server = await accepted;
	const closes: { code: number; at: number }[] = [];
	const wired = wireSocket(server, 16 * 1024 * 1024, budget, () => ({
		onMessage: () => {},
		onClose: (code) => closes.push({ code, at: Date.now() }),
	}));
	cleanups.push(() => {
		client.terminate();
		wss.close();
		http.close();
	});
	return { server, wired, closes };
}

it(`drops a socket with more than ${MAX_QUEUED_CHUNKS} writes queued, however small, and ends it`, async () => {
	const { server, wired, closes } = await unreadPair({ bytes: 1024 ** 3, sockets: () => 1 });
	const frame = "x".repeat(10);
	let sent = 0;
	// Fill the kernel's buffers first, then Node's queue.
	while (server.readyState === WebSocket.OPEN && sent < 2_000_000) {
		wired.send(frame);
		sent++;
		if (sent % 10_000 === 0) await new Promise((resolve) => setImmediate(resolve));
	}
	expect(server.readyState).not.toBe(WebSocket.OPEN);
	const state = (
		server as unknown as { _socket: { _writableState: { bufferedRequestCount: number } } }
	)._socket._writableState;
	expect(state.bufferedRequestCount).toBeLessThanOrEqual(MAX_QUEUED_CHUNKS + 4);
	// Ended a second later (its close frame waits behind what it does not read).
	await expect.poll(() => closes.length, { timeout: 3_000 }).toBe(1);
}, 30_000);

it("drops a socket past its share of the node's budget, under its own 16 MiB", async () => {
	// 64 MiB shared by 32 sockets: 2 MiB each.
	const { server, wired } = await unreadPair({ bytes: 64 * 1024 * 1024, sockets: () => 32 });
	const reply = "r".repeat(256 * 1024);
	let sent = 0;
	while (server.readyState === WebSocket.OPEN && sent < 200) {
		wired.send(reply);
		sent++;
		await new Promise((resolve) => setImmediate(resolve));
	}
	expect(server.readyState).not.toBe(WebSocket.OPEN);
	expect(server.bufferedAmount).toBeLessThan(4 * 1024 * 1024);
}, 30_000);
