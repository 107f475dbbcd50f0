// maxConnectionsPerActor holds for connections that arrive together: the limit was checked
// before the connect hooks' await and the connection counted only after them, so ten
// sockets behind an async onBeforeConnect all opened on an actor limited to two.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { type RawSocket, rawSocket } from "../helpers/raw.js";

const room = actor({
	state: {},
	// An async auth check, as a token verified against a service is.
	onBeforeConnect: async () => {
		await new Promise((resolve) => setTimeout(resolve, 50));
	},
	actions: { ping: () => "pong" },
	onWebSocket: (_c, socket) => {
		socket.send("hello");
	},
});
const registry = setup({
	use: { room },
	logLevel: "silent",
	limits: { maxConnectionsPerActor: 2 },
});
const base = (url: string) => url.replace("http", "ws");
const TOO_MANY = { code: 1013, reason: "limit.too_many_connections" };

/** Whether `socket` opened (its first message came) or was refused (how it closed). */
async function settled(socket: RawSocket, opened: () => boolean): Promise<unknown> {
	let closed: unknown;
	void socket.closed.then((how) => {
		closed = how;
	});
	for (;;) {
		if (opened()) return "open";
		if (closed !== undefined) return closed;
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

describe("maxConnectionsPerActor, connections arriving together", () => {
	it("realtime connections: one more than the open one, the rest refused", async () => {
		await using t = await setupTest(registry);
		const url = `${base(t.url)}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=r`;
		const first = await rawSocket(url, ["rivet", "rivet_encoding.json"]);
		await expect.poll(() => first.messages.length).toBe(1);
		const sockets = await Promise.all(
			Array.from({ length: 10 }, () => rawSocket(url, ["rivet", "rivet_encoding.json"])),
		);
		const outcomes = await Promise.all(
			sockets.map((s) => settled(s, () => s.decoded().some((m) => m.body?.tag === "Init"))),
		);
		expect(outcomes.filter((o) => o === "open")).toHaveLength(1);
		expect(outcomes.filter((o) => o !== "open")).toEqual(Array(9).fill(TOO_MANY));
		for (const socket of [first, ...sockets]) socket.ws.close();
	});

	it("raw WebSockets: two open, the rest refused", async () => {
		await using t = await setupTest(registry);
		const url = `${base(t.url)}/gateway/room/websocket/?rvt-method=getOrCreate&rvt-key=raw`;
		const sockets = await Promise.all(Array.from({ length: 10 }, () => rawSocket(url, [])));
		const outcomes = await Promise.all(
			sockets.map((s) => settled(s, () => s.messages.includes("hello"))),
		);
		expect(outcomes.filter((o) => o === "open")).toHaveLength(2);
		expect(outcomes.filter((o) => o !== "open")).toEqual(Array(8).fill(TOO_MANY));
		for (const socket of sockets) socket.ws.close();
	});
});
