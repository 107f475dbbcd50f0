// A broadcast is framed once by the Node adapter and that frame written to
// every socket (src/server/ws-frames.ts). These check the framing byte for
// byte against `ws`'s own, and, over a real server and real sockets, that
// every connection gets every event intact and in order, never before its
// write is durable, whatever its encoding and the event's size.
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import * as ws from "ws";
import { createClient } from "../../src/client/index.js";
import { corkableOf } from "../../src/common/ws-cork.js";
import { actor, event, memoryDriver, setup } from "../../src/index.js";
import { frameMessage, sharedFrame } from "../../src/server/ws-frames.js";
import { setupTest } from "../../src/test/index.js";
import { controllableStorage, turns } from "../helpers/controllable-storage.js";

/** `ws`'s framing of a server message (final, unmasked, uncompressed), as one buffer. */
function wsFrame(data: string | Uint8Array): Buffer {
	const { Sender } = ws as unknown as {
		Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] };
	};
	const payload = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
	const list = Sender.frame(payload, {
		fin: true,
		mask: false,
		opcode: typeof data === "string" ? 1 : 2,
		readOnly: false,
		rsv1: false,
	});
	return Buffer.concat(list);
}

describe("frameMessage", () => {
	const lengths = [0, 1, 125, 126, 127, 16_384, 16_385, 65_535, 65_536, 70_000];

	it("frames text and binary messages as ws does, at every length boundary", () => {
		for (const length of lengths) {
			const text = "é".repeat(Math.floor(length / 2)) + "x".repeat(length % 2);
			expect(Buffer.concat(frameMessage(text))).toEqual(wsFrame(text));
			const bytes = new Uint8Array(length + 8).map((_, i) => i * 7).subarray(3, 3 + length);
			expect(Buffer.concat(frameMessage(bytes))).toEqual(wsFrame(bytes));
		}
	});

	it("copies a small payload into the frame and leaves a large one in place", () => {
		expect(frameMessage(new Uint8Array(16_384))).toHaveLength(1);
		const large = new Uint8Array(16_385);
		const [, payload] = frameMessage(large);
		expect(payload?.buffer).toBe(large.buffer);
	});

	it("frames the same frame object once, a new one again", () => {
		const frame = new Uint8Array([1, 2, 3]);
		expect(sharedFrame(frame)).toBe(sharedFrame(frame));
		const next = new Uint8Array([1, 2, 3]);
		expect(sharedFrame(next)).not.toBe(sharedFrame(frame));
	});
});

const room = actor({
	state: { sent: 0 },
	events: { tick: event<{ n: number; pad: string }>() },
	actions: {
		shout: (c, n: number, size: number) => {
			c.state.sent++;
			c.broadcast("tick", { n, pad: "é".repeat(size) });
			return n;
		},
		noop: () => null,
	},
});

const registry = setup({ use: { room }, logLevel: "silent" });

describe("broadcast over real sockets", () => {
	it("delivers every event intact and in order to every connection, after its commit", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		// Text frames (json) and binary ones (cbor, bare).
		const clients = (["json", "cbor", "bare"] as const).map((encoding) =>
			createClient<typeof registry>({ endpoint: t.url, encoding }),
		);
		const conns = clients.flatMap((client) =>
			[0, 1, 2].map(() => client.room.getOrCreate("fanout").connect()),
		);
		const seen = conns.map(() => [] as string[]);
		conns.forEach((conn, i) => {
			conn.on("tick", ({ n, pad }) => seen[i]?.push(`${n}:${pad.length}`));
		});
		const trigger = t.client.room.getOrCreate("fanout").connect();
		await Promise.all([...conns, trigger].map((conn) => conn.noop()));

		// Three events, the second and third larger than a merged frame (16 KiB):
		// the first commit is held, the two others wait for the next one.
		storage.hold();
		const first = trigger.shout(1, 10);
		await expect.poll(() => storage.held).toBe(1);
		const rest = [trigger.shout(2, 9_000), trigger.shout(3, 40_000)];
		await turns(20);
		expect(seen.flat()).toEqual([]);

		storage.releaseOne();
		expect(await first).toBe(1);
		await expect.poll(() => storage.held).toBe(1);
		await turns(20);
		for (const events of seen) expect(events).toEqual(["1:10"]);

		storage.release();
		expect(await Promise.all(rest)).toEqual([2, 3]);
		await expect.poll(() => seen.every((events) => events.length === 3)).toBe(true);
		for (const events of seen) expect(events).toEqual(["1:10", "2:9000", "3:40000"]);

		await trigger.dispose();
		await Promise.all(conns.map((conn) => conn.dispose()));
		await Promise.all(clients.map((client) => client.dispose()));
	});
});

describe("corkableOf", () => {
	it("finds the TCP socket under a server-side ws socket (ws internals, checked on upgrades)", async () => {
		const server = new ws.WebSocketServer({ port: 0, host: "127.0.0.1" });
		try {
			await new Promise<void>((resolve) => server.once("listening", () => resolve()));
			const { port } = server.address() as { port: number };
			const accepted = new Promise<ws.WebSocket>((resolve) => server.once("connection", resolve));
			const client = new ws.WebSocket(`ws://127.0.0.1:${port}`);
			const received: string[] = [];
			client.on("message", (data) => received.push(String(data)));
			const socket = await accepted;
			const corkable = corkableOf(socket);
			expect(corkable).toBeDefined();
			// Frames sent while corked arrive whole and in order.
			corkable?.cork();
			for (const text of ["one", "two", "three"]) socket.send(text);
			corkable?.uncork();
			await expect.poll(() => received).toEqual(["one", "two", "three"]);
			client.close();
		} finally {
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	});
});
