// A WebSocket message may come in many fragments, each a frame with its own
// header: within every byte limit, a client could send one message as a
// million one-byte fragments (about 8 MB of frames, a million buffers held).
// The server refuses a message of more than 16,384 fragments with 1008, and
// keeps serving. `ws` has this bound since 8.23 (the dependency's floor);
// Tenon sets it, and the buffered-chunk bound, explicitly.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const echo = actor({
	state: {},
	onWebSocket: (_c, socket) => {
		socket.addEventListener("message", (event) =>
			socket.send(`got ${typeof event.data === "string" ? event.data.length : "binary"}`),
		);
	},
});
const registry = setup({ use: { echo }, logLevel: "silent" });

/** Sends one text message as `count` one-byte fragments. */
function sendFragmented(socket: import("ws").WebSocket, count: number): void {
	for (let i = 0; i < count; i++)
		socket.send("a", { fin: i === count - 1, binary: false, compress: false });
}

describe("a WebSocket message in many fragments", () => {
	it("up to 16,384 fragments is one message; more closes the socket with 1008", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace(/^http/, "ws")}/gateway/echo/websocket/x?rvt-method=getOrCreate&rvt-key=f`;
		const fine = await rawSocket(url, []);
		sendFragmented(fine.ws, 16_384);
		await expect.poll(() => fine.messages).toEqual(["got 16384"]);
		fine.ws.close();

		const flood = await rawSocket(url, []);
		sendFragmented(flood.ws, 40_000);
		expect((await flood.closed).code).toBe(1008);

		// The server keeps serving, the same actor included.
		const after = await rawSocket(url, []);
		after.ws.send("hello");
		await expect.poll(() => after.messages).toEqual(["got 5"]);
		after.ws.close();
	});
});
