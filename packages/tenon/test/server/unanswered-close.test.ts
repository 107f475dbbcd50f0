// A socket the server closes because its client broke a limit (a message over its size, frames
// before the connection opened, a raw socket over its rate) waited out `ws`'s 30 s for the
// client's close frame when the client never sent one (an attacker probe, 2026-11-29): each
// such socket kept its TCP connection and its slot 30 s. It ends a second later, as sockets
// that do not read do (wired-socket.ts `closeUnread`).
import { describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const room = actor({
	state: {},
	actions: { ping: () => "pong" },
	onWebSocket: () => {},
});
const registry = setup({ use: { room }, logLevel: "silent" });

/** Stops the client's `ws` from reading (so it never answers a close frame); resolves at TCP's end. */
function deafen(ws: WebSocket): Promise<number> {
	const socket = (ws as unknown as { _socket: import("node:net").Socket })._socket;
	socket.removeAllListeners("data");
	socket.removeAllListeners("end");
	socket.removeAllListeners("close");
	socket.on("data", () => {});
	socket.on("error", () => {});
	const began = Date.now();
	return new Promise((resolve) => socket.once("close", () => resolve(Date.now() - began)));
}

describe("a socket closed for a client's fault, whose client never answers the close", () => {
	it.each([
		[
			"/connect",
			"/gateway/room/connect?rvt-method=getOrCreate&rvt-key=r",
			["rivet", "rivet_encoding.json"],
		],
		["/websocket", "/gateway/room/websocket/?rvt-method=getOrCreate&rvt-key=r", []],
	] as const)(
		"ends a second after a message over the limit (%s)",
		async (_name, path, protocols) => {
			await using t = await setupTest(registry);
			const client = await rawSocket(`${t.url.replace(/^http/, "ws")}${path}`, [...protocols]);
			// Over both limits (64 KiB on /connect, 1 MiB raw), under ws's own (twice that).
			const size = path.includes("/connect") ? 70_000 : 1_100_000;
			client.ws.send("x".repeat(size), () => {});
			const ended = deafen(client.ws);
			expect(await ended).toBeLessThan(5_000);
			expect(await t.client.room.getOrCreate("r").ping()).toBe("pong");
		},
		15_000,
	);
});
