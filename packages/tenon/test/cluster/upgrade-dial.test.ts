// How a passed-through upgrade reaches its owner: an owner advertised by an
// IPv6 address was dialled with the brackets still on (`[::1]`), a name no
// lookup finds (ENOTFOUND), so no upgrade ever reached it; an `https:` owner
// was sent the upgrade in clear text on its TLS port (a review, 2026-11-27).
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, expect, it } from "vitest";
import { passUpgradeThrough } from "../../src/cluster/upgrade-proxy.js";
import { FakeSocket, proxyTarget, upgradeRequest } from "./upgrade-fakes.js";

const servers: { server: Server; sockets: Set<Socket> }[] = [];
afterEach(async () => {
	for (const { server, sockets } of servers.splice(0)) {
		for (const socket of sockets) socket.destroy();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}
});

/** A TCP server on `host` keeping the first bytes each connection sends; `answer` is written back. */
async function owner(host: string, answer?: string): Promise<{ port: number; first: Buffer[] }> {
	const first: Buffer[] = [];
	const sockets = new Set<Socket>();
	const server = createServer((socket) => {
		sockets.add(socket);
		socket.on("error", () => {});
		socket.once("data", (chunk) => {
			first.push(chunk);
			if (answer !== undefined) socket.write(answer);
		});
	});
	servers.push({ server, sockets });
	await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
	return { port: (server.address() as { port: number }).port, first };
}

function passThrough(address: string): FakeSocket {
	const client = new FakeSocket();
	client.on("error", () => {});
	passUpgradeThrough(
		upgradeRequest,
		client,
		Buffer.alloc(0),
		{ ...proxyTarget({ ownerAlive: async () => true }), address },
		() => {},
		() => client.end("HTTP/1.1 503 Service Unavailable\r\n\r\n"),
	);
	return client;
}

it("reaches an owner advertised by an IPv6 address", async () => {
	const { port, first } = await owner(
		"::1",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
	);
	const client = passThrough(`http://[::1]:${port}`);
	await expect.poll(() => client.written.join("")).toContain("HTTP/1.1 101 Switching Protocols");
	expect(first[0]?.toString("latin1")).toMatch(/^GET \/gateway\/x\/connect HTTP\/1\.1\r\n/);
	client.destroy();
});

it("speaks TLS to an owner advertised as https:", async () => {
	const { port, first } = await owner("127.0.0.1");
	const client = passThrough(`https://127.0.0.1:${port}`);
	await expect.poll(() => first.length).toBe(1);
	// A TLS handshake record (22), not the request in clear text.
	expect(first[0]?.[0]).toBe(0x16);
	client.destroy();
});

it("answers the client when the TLS handshake with an https owner fails (it cut the client off)", async () => {
	// A plain HTTP server on the owner's https address: the handshake fails before any
	// connection, which is no connection refused either (a review, 2026-11-27).
	const { port } = await owner("127.0.0.1", "HTTP/1.1 400 Bad Request\r\n\r\n");
	const client = passThrough(`https://127.0.0.1:${port}`);
	await expect.poll(() => client.written.join("")).toContain("HTTP/1.1 503");
});
