// A Sec-WebSocket-Protocol header `ws` cannot parse (an empty element, a
// name twice, a space where none may be) was passed to `ws`, which answered
// a bare 400 text/html, after the upgrade had taken a connection slot; now
// the server refuses it itself, with a stable group/code (2026-11-26).
import { connect } from "node:net";
import { expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const room = actor({ state: {}, actions: { ping: () => "pong" } });

/** Sends an upgrade with `protocols` as the header's exact value; the status line, content type and body. */
function upgradeWith(base: string, protocols: string): Promise<string> {
	const url = new URL(`${base}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=k`);
	return new Promise((resolve, reject) => {
		const socket = connect(Number(url.port), url.hostname, () => {
			socket.write(
				`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocols}\r\n\r\n`,
			);
		});
		let answer = "";
		socket.on("data", (chunk: Buffer) => {
			answer += chunk.toString("latin1");
			// An opened socket stays open: its head is the answer.
			if (answer.startsWith("HTTP/1.1 101") && answer.includes("\r\n\r\n")) socket.destroy();
		});
		socket.on("error", reject);
		socket.on("close", () => resolve(answer));
	});
}

it.each([
	["an empty element", "rivet,,rivet_encoding.json"],
	["a name twice", "rivet, rivet"],
	["a separator", "rivet;v=1"],
	["a space inside a name", "riv et"],
	["nothing", ""],
])("refuses a Sec-WebSocket-Protocol with %s as request/invalid", async (_what, protocols) => {
	await using t = await setupTest(setup({ use: { room }, logLevel: "silent" }));
	const answer = await upgradeWith(t.url, protocols);
	expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
	expect(answer).toMatch(/content-type: application\/json/i);
	expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toMatchObject({
		group: "request",
		code: "invalid",
	});
	// The well-formed header opens.
	const opened = await upgradeWith(t.url, "rivet, rivet_encoding.json");
	expect(opened.split("\r\n")[0]).toBe("HTTP/1.1 101 Switching Protocols");
});
