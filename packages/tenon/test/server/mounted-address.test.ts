// Regression (an attacker probe of the defaults, 2026-11-28): `registry.handler`
// mounted in another framework (Hono) served every request with no client
// address: `c.request.remoteAddress` was undefined and every per-address limit
// (rate, body slots, buffered bytes, decode time) was off, so one client had
// the node's whole budget. `handler(request, client)` takes the address, or
// the Node request Hono's node-server passes as its env (`c.env.incoming`).
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";

const whoami = actor({
	state: {},
	actions: { address: (c) => c.request?.remoteAddress ?? null },
});

const call = (key: string) =>
	new Request(
		`http://app.local/gateway/whoami/action/address?rvt-method=getOrCreate&rvt-key=${key}`,
		{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":[]}' },
	);

it("takes the client's address from the mount, and limits per address with it", async () => {
	const registry = setup({
		use: { whoami },
		storage: memoryDriver(),
		logLevel: "silent",
		rateLimits: { perAddress: { perSecond: 0.01, burst: 3 }, limitLoopback: true },
	});
	try {
		const answer = await registry.handler(call("a"), { remoteAddress: "203.0.113.5" });
		expect(await answer.json()).toEqual({ output: "203.0.113.5" });
		// The same address spends the same bucket: its fourth request in a burst of 3 is refused,
		// and another address is not affected.
		const statuses: number[] = [];
		for (let i = 0; i < 3; i++)
			statuses.push((await registry.handler(call("a"), { remoteAddress: "203.0.113.5" })).status);
		expect(statuses).toEqual([200, 200, 429]);
		const other = await registry.handler(call("a"), { remoteAddress: "198.51.100.7" });
		expect(other.status).toBe(200);
	} finally {
		await registry.stop();
	}
});

it("reads the address of Hono's node-server env (`c.env.incoming`)", async () => {
	const registry = setup({ use: { whoami }, storage: memoryDriver(), logLevel: "silent" });
	// What @hono/node-server gives a route as `c.env`: the Node request and response.
	const server = createServer(async (incoming: IncomingMessage, outgoing) => {
		const request = new Request(`http://${incoming.headers.host}${incoming.url}`, {
			method: incoming.method ?? "GET",
			headers: incoming.headers as Record<string, string>,
			...(incoming.method === "POST" ? { body: incoming as never, duplex: "half" } : {}),
		} as RequestInit);
		const response = await registry.handler(request, { incoming, outgoing });
		outgoing.writeHead(response.status, { "content-type": "application/json" });
		outgoing.end(await response.text());
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	try {
		const { port } = server.address() as AddressInfo;
		const answer = await fetch(
			`http://127.0.0.1:${port}/gateway/whoami/action/address?rvt-method=getOrCreate&rvt-key=h`,
			{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":[]}' },
		);
		expect(await answer.json()).toEqual({ output: "127.0.0.1" });
	} finally {
		await new Promise((resolve) => server.close(resolve));
		await registry.stop();
	}
});
