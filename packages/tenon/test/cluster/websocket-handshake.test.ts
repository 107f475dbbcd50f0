// Regression (2026-11-27): on a cluster node a WebSocket upgrade is decided (its actor found,
// woken or created) before the socket opens, and `ws` checked the handshake only after: an
// upgrade with a bad Sec-WebSocket-Version to `getOrCreate` created an actor for good that no
// hook had ever seen, and got `ws`'s text/html 400. Now the handshake is checked first.
import { connect } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

/** Sends `request` on a raw socket; what came back before the server closed it. */
async function exchange(url: string, request: string): Promise<string> {
	const { hostname, port } = new URL(url);
	const socket = connect({ port: Number(port), host: hostname });
	let received = "";
	socket.on("data", (data: Buffer) => {
		received += data.toString("latin1");
	});
	socket.on("error", () => {});
	await new Promise<void>((resolve) => socket.once("connect", resolve));
	socket.write(request);
	await new Promise<void>((resolve) => socket.once("close", () => resolve()));
	return received;
}

it("creates no actor for an upgrade whose handshake cannot succeed", async () => {
	const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
	try {
		const node = await cluster.start();
		const received = await exchange(
			node.url,
			"GET /gateway/tally/connect?rvt-method=getOrCreate&rvt-key=bad-shake HTTP/1.1\r\n" +
				`host: ${new URL(node.url).host}\r\nconnection: Upgrade\r\nupgrade: websocket\r\n` +
				"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 7\r\n" +
				"sec-websocket-protocol: rivet, rivet_encoding.json\r\n\r\n",
		);
		expect(received).toMatch(/^HTTP\/1\.1 400 /);
		expect(received.split("\r\n\r\n")[1]).toContain('"code":"invalid"');
		const lookup = await fetch(
			`${node.url}/gateway/tally/action/read?rvt-method=get&rvt-key=bad-shake`,
			{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":[]}' },
		);
		expect(await lookup.json()).toMatchObject({ group: "actor", code: "not_found" });
	} finally {
		await cluster.stop();
	}
}, 60_000);
