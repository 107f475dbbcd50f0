// Close reasons are cut to 123 bytes of UTF-8, not 120 characters: a reason in another
// script (or quoting a user's words) over 123 bytes made `ws` throw inside a discarded
// promise, an unhandled rejection that ended a `registry.start()` process.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { closeReason } from "../../src/runtime/connections/close-codes.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const room = actor({
	state: {},
	actions: {
		kick: (c, reason: string) => c.conn.disconnect(`kicked: ${reason}`),
	},
	onWebSocket: (_c, socket) => {
		socket.addEventListener("message", (event) => {
			const text = String(event.data);
			if (text === "bad code") {
				try {
					socket.close(1005, "never sent");
				} catch (error) {
					socket.send(`refused: ${(error as Error).name}`);
				}
				return;
			}
			socket.close(4000, `bad command: ${text}`);
		});
	},
});
const registry = setup({ use: { room }, logLevel: "silent" });

const unhandled: unknown[] = [];
const onUnhandled = (error: unknown) => unhandled.push(error);
beforeEach(() => {
	process.on("unhandledRejection", onUnhandled);
});
afterEach(() => {
	process.off("unhandledRejection", onUnhandled);
	unhandled.length = 0;
});

const bytes = (text: string) => Buffer.byteLength(text);

describe("close reasons", () => {
	it("closeReason keeps at most 123 bytes, on a character's boundary", () => {
		expect(closeReason("short")).toBe("short");
		expect(bytes(closeReason("é".repeat(100)))).toBe(122);
		expect(closeReason("😀".repeat(40))).toBe("😀".repeat(30));
		expect(closeReason("x".repeat(200))).toBe("x".repeat(123));
		expect(closeReason(`${"x".repeat(122)}é`)).toBe("x".repeat(122));
	});

	it("conn.disconnect with a reason of 208 bytes closes the socket, reason cut", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace("http", "ws")}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=r`;
		const socket = await rawSocket(url, ["rivet", "rivet_encoding.json"]);
		await expect.poll(() => socket.messages.length).toBe(1);
		const args = ["é".repeat(100)];
		socket.ws.send(
			JSON.stringify({ body: { tag: "ActionRequest", val: { id: 1, name: "kick", args } } }),
		);
		const closed = await socket.closed;
		expect(closed.code).toBe(1000);
		expect(closed.reason.startsWith("kicked: éé")).toBe(true);
		expect(bytes(closed.reason)).toBeLessThanOrEqual(123);
		expect(unhandled).toEqual([]);
	});

	it("a raw socket closed by its handler with a long reason closes, reason cut", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace("http", "ws")}/gateway/room/websocket/?rvt-method=getOrCreate&rvt-key=r`;
		const socket = await rawSocket(url, []);
		socket.ws.send("ü".repeat(200));
		const closed = await socket.closed;
		expect(closed.code).toBe(4000);
		expect(bytes(closed.reason)).toBeLessThanOrEqual(123);
		expect(unhandled).toEqual([]);
	});

	it("a raw socket's close with a code no frame may carry throws where it is called", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace("http", "ws")}/gateway/room/websocket/?rvt-method=getOrCreate&rvt-key=r`;
		const socket = await rawSocket(url, []);
		socket.ws.send("bad code");
		await expect.poll(() => socket.messages).toEqual(["refused: RangeError"]);
		socket.ws.close();
		expect(unhandled).toEqual([]);
	});
});
