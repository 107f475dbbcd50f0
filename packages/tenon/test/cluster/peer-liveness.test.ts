// peerAlive: a peer counts as alive when it beats and its HTTP server answers
// (any status), or refuses the connection (a node that stops closes its
// listener first, then finishes what it was sent); as gone when it does not
// beat, or accepts and does not answer within the lease time.
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, expect, it } from "vitest";
import { peerAlive } from "../../src/cluster/peer-liveness.js";
import { peerRoute } from "../../src/cluster/peer-routes.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
	for (const close of closers.splice(0)) await close();
});

async function listening(server: Server): Promise<string> {
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
	const sockets = new Set<Socket>();
	server.on("connection", (socket: Socket) => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
	});
	closers.push(
		() =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	);
	return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A cluster view in which `nodeId` beats (at `address`) or not. */
const membership = (address: string | undefined, leaseTtlMs = 300) => ({
	nodeAddress: async () => address,
	peerSecret: "secret",
	leaseTtlMs,
});

it("a peer that beats and answers is alive, whatever the status, and is asked with the secret at its ping route", async () => {
	const asked: { url?: string; secret?: string | string[] }[] = [];
	const server = createHttpServer((req, res) => {
		asked.push({ url: req.url, secret: req.headers["x-tenon-peer"] });
		res.writeHead(404).end();
	});
	const url = await listening(server);
	// A lease time far above the ping's: the first ping loads the peer client, which took
	// over 300 ms under a loaded run and read as "gone" (a flake, 2026-11-28).
	expect(await peerAlive(membership(url, 10_000), "/", "b")).toBe(true);
	expect(await peerAlive(membership(url, 10_000), "/base", "b")).toBe(true);
	expect(asked.map((a) => a.url)).toEqual(["/.tenon/peer/ping", "/base/.tenon/peer/ping"]);
	expect(asked[0]?.secret).toBe("secret");
});

it("a peer that does not beat is gone, without being asked", async () => {
	expect(await peerAlive(membership(undefined), "/", "b")).toBe(false);
});

// A node killed and started again on its address under a new id (`tenon start`'s default):
// a client's socket another node had piped there, answered by the new process, was cut once
// the old id stopped beating (a cluster walkthrough, 2026-11-29). Where the watched node was
// reached is asked instead: what answers there serves the socket.
it("a node gone from `nodes` counts as alive while its address (where it was reached) answers", async () => {
	const server = createHttpServer((_req, res) => res.writeHead(200).end());
	const url = await listening(server);
	expect(await peerAlive(membership(undefined, 10_000), "/", "old-id", url)).toBe(true);
	// Nothing answering there (a frozen process holds the port) within the lease time: gone.
	const frozen = createServer(() => {});
	const silent = await listening(frozen);
	expect(await peerAlive(membership(undefined, 300), "/", "old-id", silent)).toBe(false);
});

it("a refused connection counts as alive (a node closing its listener finishes what it was sent)", async () => {
	const server = createServer();
	const url = await listening(server);
	await closers.pop()?.();
	expect(await peerAlive(membership(url), "/", "b")).toBe(true);
});

it("a peer that accepts and never answers is gone after the lease time, one ping for all who ask", async () => {
	let connections = 0;
	const server = createServer((socket) => {
		connections++;
		socket.on("data", () => {});
		socket.on("error", () => {});
	});
	const url = await listening(server);
	const started = Date.now();
	const answers = await Promise.all(
		Array.from({ length: 20 }, () => peerAlive(membership(url, 300), "/", "b")),
	);
	expect(answers.every((alive) => !alive)).toBe(true);
	expect(Date.now() - started).toBeGreaterThanOrEqual(280);
	expect(connections).toBe(1);
});

it("a peer no connection reaches is asked again until the lease time is over, then gone", async () => {
	// A lookup that fails (ENOTFOUND) gave up at once, ending every forward to the peer on one
	// DNS hiccup (a review, 2026-11-27).
	const started = Date.now();
	expect(await peerAlive(membership("http://tenon-peer.invalid:1", 700), "/", "b")).toBe(false);
	expect(Date.now() - started).toBeGreaterThanOrEqual(650);
});

it("a ping started for a shorter lease time is not shared with a longer one", async () => {
	// Keyed by URL alone, a 5 s lease joined a 300 ms one's ping and gave up on a peer that
	// answers after 1 s (a review, 2026-11-27).
	const server = createHttpServer((_req, res) => setTimeout(() => res.writeHead(204).end(), 1_000));
	const url = await listening(server);
	const [short, long] = await Promise.all([
		peerAlive(membership(url, 300), "/", "b"),
		peerAlive(membership(url, 5_000), "/", "b"),
	]);
	expect([short, long]).toEqual([false, true]);
});

it("takes a lease time that is not a whole number (AbortSignal.timeout threw on it)", async () => {
	const server = createHttpServer((_req, res) => res.writeHead(204).end());
	const url = await listening(server);
	expect(await peerAlive(membership(url, 300.5), "/", "b")).toBe(true);
});

it("keeps a peer route on the peer's host, whatever the base path", () => {
	// Resolved against the address, a base path beginning with `//` named another host, and
	// the cluster secret went there (a review, 2026-11-27).
	for (const basePath of ["//elsewhere.example", "/api", "/"]) {
		expect(peerRoute("http://10.0.0.2:6420", basePath, "/.tenon/peer/ping")?.host).toBe(
			"10.0.0.2:6420",
		);
	}
	expect(peerRoute("http://10.0.0.2:6420", "/api", "/.tenon/peer/ping")?.pathname).toBe(
		"/api/.tenon/peer/ping",
	);
	expect(peerRoute("not a url", "/", "/x")).toBeUndefined();
});
