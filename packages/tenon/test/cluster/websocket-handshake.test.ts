// Regression (2026-11-27): on a cluster node a WebSocket upgrade is decided (its actor found,
// woken or created) before the socket opens, and `ws` checked the handshake only after: an
// upgrade with a bad Sec-WebSocket-Version to `getOrCreate` created an actor for good that no
// hook had ever seen, and got `ws`'s text/html 400. Now the handshake is checked first.
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { exchangeUntilClosed } from "../helpers/raw-http.js";
import { TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

it("creates no actor for an upgrade whose handshake cannot succeed", async () => {
	const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
	try {
		const node = await cluster.start();
		const received = await exchangeUntilClosed(
			node.url,
			"GET /gateway/tally/connect?rvt-method=getOrCreate&rvt-key=bad-shake HTTP/1.1\r\n" +
				`host: ${new URL(node.url).host}\r\nconnection: Upgrade\r\nupgrade: websocket\r\n` +
				"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 7\r\n" +
				"sec-websocket-protocol: rivet, rivet_encoding.json\r\n\r\n",
			false,
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
