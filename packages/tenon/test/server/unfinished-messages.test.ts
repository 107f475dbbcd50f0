// WebSocket messages a client begins and never finishes (an attacker probe, 2026-11-29): a
// part of a frame, or some fragments of a message, stay in memory until the rest comes, and a
// client that answered pings held them for good: 2 MiB on each of an address's 256 sockets.
// Now a message unfinished past `incomingMessageTimeoutMs` closes its socket (1013
// `message.incoming_too_slow`), and a socket of Tenon's protocol reads frames of at most twice
// its 64 KiB limit (a raw socket's bound follows its own 1 MiB limit).
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const room = actor({
	state: { n: 0 },
	actions: { add: (c, by: number) => (c.state.n += by) },
	onWebSocket: (_c, socket) => {
		socket.addEventListener("message", (event) =>
			socket.send(`got ${typeof event.data === "string" ? event.data.length : "binary"}`),
		);
	},
});
const TIMEOUT_MS = 600;
const registry = setup({
	use: { room },
	logLevel: "silent",
	limits: { incomingMessageTimeoutMs: TIMEOUT_MS },
});

/** The header of a masked client frame (RFC 6455 5.2) with `length` bytes of payload. */
function frameHeader(length: number, options: { fin: boolean; opcode: number }): Buffer {
	const first = (options.fin ? 0x80 : 0) | options.opcode;
	const mask = randomBytes(4);
	if (length < 126) return Buffer.concat([Buffer.from([first, 0x80 | length]), mask]);
	if (length < 65_536) {
		const head = Buffer.from([first, 0x80 | 126, 0, 0]);
		head.writeUInt16BE(length, 2);
		return Buffer.concat([head, mask]);
	}
	const head = Buffer.alloc(10);
	head[0] = first;
	head[1] = 0x80 | 127;
	head.writeUInt32BE(length, 6);
	return Buffer.concat([head, mask]);
}

/** Writes bytes to the socket under a `ws` client, past its framing. */
function writeRaw(ws: WebSocket, bytes: Buffer): void {
	(ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(bytes);
}

const connectPath = "/gateway/room/connect?rvt-method=getOrCreate&rvt-key=r";
const rawPath = "/gateway/room/websocket/x?rvt-method=getOrCreate&rvt-key=r";
const PROTOCOLS = ["rivet", "rivet_encoding.json"];

describe("a WebSocket message left unfinished", () => {
	it("closes a connection whose frame never ends, and keeps serving others", async () => {
		await using t = await setupTest(registry);
		const ws = t.url.replace(/^http/, "ws");
		const stalled = await rawSocket(`${ws}${connectPath}`, PROTOCOLS);
		const began = Date.now();
		// A frame of 60,000 bytes, 1,000 of them sent: the client answers pings, sends no more.
		writeRaw(
			stalled.ws,
			Buffer.concat([frameHeader(60_000, { fin: true, opcode: 1 }), Buffer.alloc(1_000)]),
		);
		const closed = await stalled.closed;
		expect(closed).toEqual({ code: 1013, reason: "message.incoming_too_slow" });
		// Between one and four thirds of the timeout, and the close then ended, not waited out.
		expect(Date.now() - began).toBeGreaterThanOrEqual(TIMEOUT_MS);
		expect(Date.now() - began).toBeLessThan(TIMEOUT_MS * 2 + 1_500);

		const conn = t.client.room.getOrCreate("r").connect();
		expect(await conn.add(2)).toBe(2);
		await conn.dispose();
	});

	it("closes a raw socket whose fragmented message never ends, pings answered or not", async () => {
		await using t = await setupTest(registry);
		const stalled = await rawSocket(`${t.url.replace(/^http/, "ws")}${rawPath}`, []);
		// Two fragments of a binary message, no final one; a ping between them resets nothing.
		writeRaw(
			stalled.ws,
			Buffer.concat([frameHeader(10, { fin: false, opcode: 2 }), Buffer.alloc(10, 0)]),
		);
		await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS / 2));
		stalled.ws.ping();
		writeRaw(
			stalled.ws,
			Buffer.concat([frameHeader(10, { fin: false, opcode: 0 }), Buffer.alloc(10, 0)]),
		);
		expect(await stalled.closed).toEqual({ code: 1013, reason: "message.incoming_too_slow" });
	});

	it("keeps a socket that sends message after message, and one whose message ends in time", async () => {
		await using t = await setupTest(registry);
		const steady = await rawSocket(`${t.url.replace(/^http/, "ws")}${rawPath}`, []);
		let steadyClosed = false;
		void steady.closed.then(() => {
			steadyClosed = true;
		});
		// Each message sent in two halves 100 ms apart, for four timeouts: a sweep often sees
		// one under way, never the same one twice past the timeout.
		const rounds = Math.ceil((TIMEOUT_MS * 4) / 200);
		for (let i = 0; i < rounds; i++) {
			const payload = Buffer.alloc(20, 0x61);
			const header = frameHeader(20, { fin: true, opcode: 2 });
			writeRaw(steady.ws, Buffer.concat([header, payload.subarray(0, 10)]));
			await new Promise((resolve) => setTimeout(resolve, 100));
			writeRaw(steady.ws, payload.subarray(10));
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		// Binary: the server unmasks the bytes into whatever they become; every message arrives.
		await expect.poll(() => steady.messages.length).toBe(rounds);
		expect(steadyClosed).toBe(false);
		steady.ws.close();
	});

	it("refuses at once a frame over twice a connection's 64 KiB limit, not after reading it", async () => {
		await using t = await setupTest(registry);
		const ws = t.url.replace(/^http/, "ws");
		const big = await rawSocket(`${ws}${connectPath}`, PROTOCOLS);
		// Declares 200 KiB, sends 1 KiB: refused on its header (it was read up to 2 MiB).
		writeRaw(
			big.ws,
			Buffer.concat([frameHeader(200 * 1024, { fin: true, opcode: 2 }), Buffer.alloc(1_024)]),
		);
		expect((await big.closed).code).toBe(1009);

		// A raw socket's messages may be 1 MiB: a 200 KiB one is read whole and handled.
		const raw = await rawSocket(`${ws}${rawPath}`, []);
		raw.ws.send(Buffer.alloc(200 * 1024));
		await expect.poll(() => raw.messages).toEqual(["got binary"]);
		raw.ws.close();
	});
});
