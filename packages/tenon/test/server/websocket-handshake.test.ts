// Regression (2026-11-27): a WebSocket upgrade whose handshake cannot succeed (not a GET, no
// valid Sec-WebSocket-Key, a Sec-WebSocket-Version other than 13 or 8) was refused by `ws` only
// after the upgrade was decided, with `ws`'s text/html 400 and no group/code. Now it is refused
// before anything runs, with a JSON body (and the versions this server speaks, RFC 6455 section
// 4.4). On a cluster node the decision created the actor for good: test/cluster/websocket-handshake.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";
import { exchangeUntilClosed } from "../helpers/raw-http.js";

let created = 0;
const room = actor({
	state: { n: 0 },
	onCreate: () => {
		created++;
	},
	actions: { get: (c) => c.state.n },
});

let server: TenonServer;
beforeAll(async () => {
	server = await setup({ use: { room }, logLevel: "silent" }).start({
		port: 0,
		host: "127.0.0.1",
		storage: memoryDriver(),
	});
});
afterAll(async () => {
	await server?.close();
});

/** Sends an upgrade request on a raw socket and reads until the server closes it. */
function upgrade(method: string, headers: string): Promise<string> {
	const { host } = new URL(server.url);
	return exchangeUntilClosed(
		server.url,
		`${method} /gateway/room/connect?rvt-method=getOrCreate&rvt-key=shaken HTTP/1.1\r\n` +
			`host: ${host}\r\nconnection: Upgrade\r\nupgrade: websocket\r\n` +
			`sec-websocket-protocol: rivet, rivet_encoding.json\r\n${headers}\r\n`,
		false,
	);
}

const KEY = "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

describe("a WebSocket handshake that cannot succeed", () => {
	it("is refused with a group/code body before the actor is created", async () => {
		const cases: [string, string, number, string, string | undefined][] = [
			["GET", `${KEY}sec-websocket-version: 99\r\n`, 400, "invalid", "13, 8"],
			["GET", KEY, 400, "invalid", "13, 8"],
			[
				"GET",
				"sec-websocket-key: short\r\nsec-websocket-version: 13\r\n",
				400,
				"invalid",
				undefined,
			],
			["GET", "sec-websocket-version: 13\r\n", 400, "invalid", undefined],
			["POST", `${KEY}sec-websocket-version: 13\r\n`, 405, "method_not_allowed", undefined],
		];
		for (const [method, headers, status, code, versions] of cases) {
			const received = await upgrade(method, headers);
			const [head = "", body = ""] = received.split("\r\n\r\n");
			expect(Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers).toBe(status);
			expect(head).toMatch(/\r\ncontent-type: application\/json/i);
			expect(JSON.parse(body)).toMatchObject({ group: "request", code });
			expect(/\r\nsec-websocket-version: ([^\r]*)/i.exec(head)?.[1]).toBe(versions);
		}
		expect(created).toBe(0);
		// A good handshake still connects (and creates the actor once).
		const good = await new Promise<string>((resolve) => {
			const url = new URL(server.url);
			const socket = connect({ port: Number(url.port), host: url.hostname }, () =>
				socket.write(
					"GET /gateway/room/connect?rvt-method=getOrCreate&rvt-key=shaken HTTP/1.1\r\n" +
						`host: ${url.host}\r\nconnection: Upgrade\r\nupgrade: websocket\r\n` +
						`sec-websocket-protocol: rivet, rivet_encoding.json\r\n${KEY}sec-websocket-version: 13\r\n\r\n`,
				),
			);
			socket.once("data", (data: Buffer) => {
				socket.destroy();
				resolve(data.toString("latin1"));
			});
		});
		expect(good).toMatch(/^HTTP\/1\.1 101 /);
		await expect.poll(() => created).toBe(1);
	});
});
