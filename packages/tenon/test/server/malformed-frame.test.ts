// A frame from the server that the client cannot decode (a broken server, or
// the BARE length bug once) must not leave the client's calls waiting forever:
// the stream can no longer be trusted, so the calls in flight fail with
// `client/bad_message` (their outcome unknown), the socket is closed as a
// protocol error, and the connection reconnects. A real WebSocket server
// that speaks the first step of the protocol, then answers with garbage.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { createClient } from "../../src/client/index.js";
import { actor, setup } from "../../src/index.js";
import { encodeToClient } from "../../src/protocol/messages.js";

const echo = actor({ state: {}, actions: { ping: () => "pong" } });
const registry = setup({ use: { echo } });

it("a frame the client cannot decode fails the calls in flight and reconnects", async () => {
	let connections = 0;
	const http = createServer((_req, res) => res.writeHead(404).end());
	const wss = new WebSocketServer({
		server: http,
		handleProtocols: (offered) => [...offered][0] ?? false,
	});
	wss.on("connection", (socket) => {
		connections++;
		socket.send(
			encodeToClient("json", { tag: "Init", actorId: "a".repeat(16), connectionId: "c1" }),
		);
		socket.on("message", () => socket.send("{ this is not json"));
	});
	await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
	const { port } = http.address() as AddressInfo;
	const client = createClient<typeof registry>({
		endpoint: `http://127.0.0.1:${port}`,
		encoding: "json",
	});
	try {
		const conn = client.echo.getForId("a".repeat(16)).connect();
		const errors: string[] = [];
		conn.onError((error) => errors.push(`${error.group}/${error.code}`));
		await expect(conn.ping()).rejects.toMatchObject({ group: "client", code: "bad_message" });
		expect(errors).toContain("client/bad_message");
		// The connection opens a new socket on its own.
		await expect.poll(() => connections, { timeout: 5_000 }).toBeGreaterThan(1);
	} finally {
		await client.dispose();
		for (const socket of wss.clients) socket.terminate();
		wss.close();
		await new Promise((resolve) => http.close(resolve));
	}
});
