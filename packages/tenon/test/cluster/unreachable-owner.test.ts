// An owner that beats in PostgreSQL but that its peers cannot reach over HTTP:
// here its advertised address names a server that accepts connections and
// never answers (a wrong `--advertise`; the network between nodes cut while
// the database stays reachable looks the same to the entry node). Watched by
// its beat alone, such an owner held forwarded requests and upgrades for good
// (a note, 2026-11-27). Its peers now also ask its HTTP server, and one that
// does not answer within the lease time counts as gone.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { streamThrough, TestCluster, upgradeOutcome, within } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const TTL = 1_000;
const rawPath = (key: string) => `/gateway/echo/request/show?rvt-method=getOrCreate&rvt-key=${key}`;
const connectPath = (key: string) => `/gateway/echo/connect?rvt-method=getOrCreate&rvt-key=${key}`;

/** A TCP server that accepts every connection, reads what comes, and never answers. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
	const sockets = new Set<Socket>();
	const server: Server = createServer((socket) => {
		sockets.add(socket);
		socket.on("data", () => {});
		socket.on("error", () => {});
		socket.on("close", () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
	const { port } = server.address() as { port: number };
	return {
		url: `http://127.0.0.1:${port}`,
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	};
}

describe("an owner that beats but does not answer over HTTP", () => {
	it("a request forwarded to it gets actor/unavailable within about the lease time", async () => {
		const silent = await silentServer();
		const cluster = new TestCluster({ leaseTtlMs: TTL, heartbeatMs: 250 });
		const abort = new AbortController();
		try {
			const owner = await cluster.start("owner", { TENON_ADVERTISE: silent.url });
			const entry = await cluster.start("entry");
			const first = await (await fetch(`${owner.url}${rawPath("cut-off")}`)).json();
			expect(first.node).toBe("owner");
			const started = Date.now();
			const answer = fetch(`${entry.url}${rawPath("cut-off")}`, { signal: abort.signal }).then(
				async (r) => ({ status: r.status, body: await r.text() }),
				(e) => ({ status: -1, body: String(e) }),
			);
			const outcome = await within(answer, TTL + 10_000);
			expect(outcome).not.toBe("hung");
			expect(outcome).toMatchObject({ status: 503 });
			expect(JSON.parse((outcome as { body: string }).body)).toMatchObject({
				group: "actor",
				code: "unavailable",
			});
			// A ping unanswered for the lease time, asked at most half a lease time late.
			expect(Date.now() - started).toBeLessThan(TTL * 2 + 3_000);
			// The owner itself is fine and keeps its actor.
			expect((await (await fetch(`${owner.url}${rawPath("cut-off")}`)).json()).node).toBe("owner");
		} finally {
			abort.abort();
			await cluster.stop();
			await silent.close();
		}
	}, 60_000);

	it("a WebSocket upgrade passed through to it is refused as unavailable, not held", async () => {
		const silent = await silentServer();
		const cluster = new TestCluster({ leaseTtlMs: TTL, heartbeatMs: 250 });
		let ws: WebSocket | undefined;
		try {
			const owner = await cluster.start("owner", { TENON_ADVERTISE: silent.url });
			const entry = await cluster.start("entry");
			const first = await (await fetch(`${owner.url}${rawPath("cut-off-ws")}`)).json();
			expect(first.node).toBe("owner");
			const socket = new WebSocket(
				`${entry.url.replace(/^http/, "ws")}${connectPath("cut-off-ws")}`,
				["rivet", "rivet_encoding.json"],
			);
			ws = socket;
			const outcome = upgradeOutcome(socket);
			expect(await within(outcome, TTL + 15_000)).toBe("http 503");
		} finally {
			ws?.terminate();
			await cluster.stop();
			await silent.close();
		}
	}, 60_000);

	it("a healthy owner's stream through another node is not given up (it answers its pings)", async () => {
		const cluster = new TestCluster({ leaseTtlMs: TTL, heartbeatMs: 250 });
		const client = new AbortController();
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			const { reader } = await streamThrough(owner, entry, "healthy", client.signal);
			const next = reader.read().then(
				(read) => (read.done ? "ended" : "more data"),
				() => "errored",
			);
			// Four lease times: eight checks of the owner, each with a ping.
			expect(await within(next, TTL * 4)).toBe("hung");
		} finally {
			client.abort();
			await cluster.stop();
		}
	}, 60_000);
});
