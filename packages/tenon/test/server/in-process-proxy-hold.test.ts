// An in-process WebSocket (an actor's c.client() socket, or a fallback's callerClient) whose
// actor another node owns is a real socket to that node: it did not count among this node's
// sockets, as a client's socket passed through does (`hold()`), only on the owner (a review,
// 2026-11-29). The core here is a stand-in that answers "proxy"; the owner a real `ws` server.
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { inProcessClientOptions } from "../../src/server/in-process.js";
import type { ServerCore } from "../../src/server/server-core.js";

it("counts a socket passed to the owner node while it is open", async () => {
	const owner = new WebSocketServer({ port: 0, host: "127.0.0.1" });
	await once(owner, "listening");
	const { port } = owner.address() as AddressInfo;
	let held = 0;
	let released = 0;
	const core = {
		upgrade: async () => ({
			kind: "proxy",
			address: `http://127.0.0.1:${port}`,
			hops: 0,
			retryUntil: Date.now() + 1_000,
			peerSecret: "secret",
			forwardedFor: undefined,
			internal: true,
			callDepth: 0,
			unavailable: () => new Response(null, { status: 503 }),
			hold: () => {
				held++;
				return () => released++;
			},
		}),
	} as unknown as ServerCore;
	try {
		const { WebSocket: InProcess } = inProcessClientOptions(core);
		const socket = new (InProcess as unknown as typeof WebSocket)(
			"ws://tenon.local/gateway/room/websocket/",
		);
		await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
		expect({ held, released }).toEqual({ held: 1, released: 0 });
		socket.close();
		await new Promise((resolve) => socket.addEventListener("close", resolve, { once: true }));
		expect({ held, released }).toEqual({ held: 1, released: 1 });
	} finally {
		owner.close();
	}
});
