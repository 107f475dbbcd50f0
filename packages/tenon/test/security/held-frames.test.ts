// Frames a hibernated raw socket sends while its actor wakes are held within 128 frames and
// 1 MiB (or one largest message): the count alone let one socket hold 128 frames of 1 MiB
// while a slow onWake ran (a review, 2026-11-26; the same bound as before a socket opens).
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const wake = { runs: 0, started: false, release: () => {} };

const echo = actor({
	state: {},
	onWake: async () => {
		wake.runs++;
		if (wake.runs === 1) return;
		await new Promise<void>((resolve) => {
			wake.release = resolve;
			wake.started = true;
		});
	},
	onWebSocket: (_c, socket) => {
		socket.addEventListener("message", () => socket.send("got"));
	},
	options: { sleepTimeout: 1_000, canHibernateWebSocket: true },
});
const registry = setup({ use: { echo }, logLevel: "silent" });

describe("frames held while a hibernated raw socket's actor wakes", () => {
	it("past 1 MiB the socket is closed with 1013 limit.too_many_held", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace(/^http/, "ws")}/gateway/echo/websocket/x?rvt-method=getOrCreate&rvt-key=r`;
		const socket = await rawSocket(url, []);
		await t.settle();
		await t.clock.advance(1_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		const frame = new Uint8Array(512 * 1024);
		for (let i = 0; i < 8; i++) socket.ws.send(frame);
		expect(await socket.closed).toEqual({ code: 1013, reason: "limit.too_many_held" });
		await expect.poll(() => wake.started).toBe(true);
		wake.release();
	});
});
