// Frames a client sends before its connection is open (connect hooks still running) are
// held, within 256 frames and 1 MiB (or one largest message): the count alone let one raw
// socket behind a slow onBeforeConnect hold 256 MiB, and a /connect socket 16 MiB.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

/** The connect hook waiting now, if any. */
const hooks: { pending: (() => void) | undefined } = { pending: undefined };
async function releaseHook(): Promise<void> {
	await expect.poll(() => hooks.pending).toBeDefined();
	hooks.pending?.();
	hooks.pending = undefined;
}

const room = actor({
	state: { got: 0 },
	// An auth check that takes its time (a token checked against another service).
	onBeforeConnect: () =>
		new Promise<void>((resolve) => {
			hooks.pending = resolve;
		}),
	actions: { got: (c) => c.state.got },
	onWebSocket: (c, socket) => {
		socket.addEventListener("message", () => {
			c.state.got++;
			socket.send(String(c.state.got));
		});
	},
});
const registry = setup({ use: { room }, logLevel: "silent" });
const REFUSED = { code: 1008, reason: "request.invalid" };

describe("frames sent before the connection opened", () => {
	it("a raw socket is refused past 1 MiB of them", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace("http", "ws")}/gateway/room/websocket/?rvt-method=getOrCreate&rvt-key=a`;
		const socket = await rawSocket(url, []);
		for (let i = 0; i < 3; i++) socket.ws.send(new Uint8Array(512 * 1024));
		expect(await socket.closed).toEqual(REFUSED);
		await releaseHook();
	});

	it("a raw socket within the bound gets all of them handled once it opens", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace("http", "ws")}/gateway/room/websocket/?rvt-method=getOrCreate&rvt-key=b`;
		const socket = await rawSocket(url, []);
		for (let i = 0; i < 3; i++) socket.ws.send(new Uint8Array(256 * 1024));
		await releaseHook();
		await expect.poll(() => socket.messages).toEqual(["1", "2", "3"]);
		socket.ws.close();
	});

	it("a /connect socket is refused past 1 MiB of them", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace("http", "ws")}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=c`;
		const socket = await rawSocket(url, ["rivet", "rivet_encoding.json"]);
		const padding = "x".repeat(60 * 1024);
		const frame = JSON.stringify({
			body: { tag: "ActionRequest", val: { id: 1, name: "got", args: [padding] } },
		});
		for (let i = 0; i < 20; i++) socket.ws.send(frame);
		expect(await socket.closed).toEqual(REFUSED);
		await releaseHook();
	});
});
