// An upgrade passed through to an owner that cannot be reached is tried again
// every 200 ms until the lease would have expired. Each attempt added its own
// `close` and `error` listeners to the client's socket and left them there
// (a review, 2026-11-26: sixty attempts in a 10 s lease, and Node's warning
// past ten). An attempt that ends without a pipe takes its listeners back.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { passUpgradeThrough } from "../../src/cluster/upgrade-proxy.js";

/** A port nothing listens on (taken, then freed). */
async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}

describe("an upgrade retried against an owner that cannot be reached", () => {
	it("leaves no listener of its attempts on the client's socket", async () => {
		const port = await closedPort();
		const socket = new PassThrough();
		const before = socket.listenerCount("close") + socket.listenerCount("error");
		const req = { method: "GET", url: "/gateway/x/connect", rawHeaders: [], headers: {} };
		let attempts = 0;
		const retryUntil = Date.now() + 1_200;
		const gaveUp = new Promise<void>((resolve) => {
			const attempt = () => {
				attempts++;
				passUpgradeThrough(
					req as unknown as IncomingMessage,
					socket,
					Buffer.alloc(0),
					{
						address: `http://127.0.0.1:${port}`,
						hops: 1,
						retryUntil,
						peerSecret: "secret",
						forwardedFor: undefined,
						internal: false,
						callDepth: 0,
						unavailable: () => new Response(null, { status: 503 }),
						hold: () => () => {},
					},
					attempt,
					() => resolve(),
				);
			};
			attempt();
		});
		await gaveUp;
		expect(attempts).toBeGreaterThan(3);
		expect(socket.listenerCount("close") + socket.listenerCount("error")).toBe(before);
	});
});
