// A WebSocket upgrade passed through to an owner that closes the connection,
// resets it, stops halfway through its status line, or answers with what is
// no HTTP at all (a node crashing or stopping as the upgrade arrives): the
// client's socket was cut with no answer, or got the bytes as they came (an
// attacker probe, 2026-11-26), where an HTTP request forwarded to such an
// owner gets `actor/unavailable`. Now the upgrade is decided again, after a
// pause (an owner failing every attempt at once is not asked in a tight
// loop), and refused as `actor/unavailable` once the owner's lease time has
// passed. Against a real entry node, with a fake owner (a TCP server that
// PostgreSQL says owns the actor and beats) that does each of these on cue.
import { connect, createServer, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin, sqlAdmin } from "../helpers/postgres.js";
import { TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

/** What the fake owner does with an upgrade, by the `x-fake-owner` header the client sent. */
const BEHAVIOURS: Record<string, (socket: Socket) => void> = {
	close: (socket) => socket.destroy(),
	end: (socket) => socket.end(),
	garbage: (socket) => socket.end("I AM NOT HTTP\r\n\r\n"),
	"half-status": (socket) => {
		socket.write("HTTP/1.1 10");
		setTimeout(() => socket.destroy(), 50);
	},
	// An owner's own refusal is its answer: passed through as it is, not retried.
	refuse: (socket) =>
		socket.end(
			'HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: 17\r\nconnection: close\r\n\r\n{"owner":"fake"}\n',
		),
};

/** The fake owner: answers each upgrade as its `x-fake-owner` header says; counts connections. */
async function fakeOwner() {
	const connections = new Map<string, number>();
	const sockets = new Set<Socket>();
	const server = createServer((socket) => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
		socket.on("error", () => {});
		let head = "";
		const onData = (chunk: Buffer) => {
			head += chunk.toString("latin1");
			if (!head.includes("\r\n\r\n")) return;
			socket.off("data", onData);
			const behaviour = /\r\nx-fake-owner: ([\w-]+)\r\n/i.exec(head)?.[1] ?? "close";
			connections.set(behaviour, (connections.get(behaviour) ?? 0) + 1);
			BEHAVIOURS[behaviour]?.(socket);
		};
		socket.on("data", onData);
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
	return {
		address: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
		connections,
		close() {
			for (const socket of sockets) socket.destroy();
			server.close();
		},
	};
}

/** An upgrade sent as raw bytes; everything the node answers until it closes (or `ms` pass). */
function upgrade(url: string, behaviour: string, ms: number): Promise<string> {
	const { hostname, port } = new URL(url);
	return new Promise((resolve) => {
		const socket = connect(Number(port), hostname);
		let answer = "";
		socket.on("data", (chunk) => {
			answer += chunk.toString("latin1");
		});
		socket.on("error", () => {});
		socket.on("connect", () =>
			socket.write(
				"GET /gateway/echo/connect?rvt-method=getOrCreate&rvt-key=unanswered HTTP/1.1\r\n" +
					`Host: ${hostname}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
					"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
					`Sec-WebSocket-Protocol: rivet, rivet_encoding.json\r\nx-fake-owner: ${behaviour}\r\n\r\n`,
			),
		);
		const timer = setTimeout(() => socket.destroy(), ms);
		socket.on("close", () => {
			clearTimeout(timer);
			resolve(answer);
		});
	});
}

it("an upgrade whose owner closes, resets or babbles before answering is refused as actor/unavailable, without a tight loop", async () => {
	const TTL = 1_000;
	const cluster = new TestCluster({ leaseTtlMs: TTL, heartbeatMs: 250 });
	const fake = await fakeOwner();
	try {
		const first = await cluster.start();
		const entry = await cluster.start();
		// The actor exists (made on the first node); then PostgreSQL says the fake owns it,
		// and that the fake beats.
		const made = await fetch(
			`${first.url}/gateway/echo/action/whereAmI?rvt-method=getOrCreate&rvt-key=unanswered`,
			{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":[]}' },
		);
		expect(made.status).toBe(200);
		const S = cluster.schema;
		const [actor] = await sqlAdmin().unsafe(
			`SELECT actor_id FROM ${S}.actors WHERE name = 'echo' AND key_json = $1`,
			[JSON.stringify(["unanswered"])],
		);
		expect(actor).toBeDefined();
		await sqlAdmin().unsafe(
			`INSERT INTO ${S}.nodes (node_id, address, started_at, heartbeat_at) VALUES ('fake', $1, 0, 1e15)`,
			[fake.address],
		);
		await sqlAdmin().unsafe(
			`UPDATE ${S}.leases SET node_id = 'fake', epoch = epoch + 1, expires_at = 1e15 WHERE actor_id = $1`,
			[actor?.actor_id],
		);

		const failing = ["close", "end", "garbage", "half-status"];
		const started = Date.now();
		const answers = await Promise.all(failing.map((b) => upgrade(entry.url, b, 30_000)));
		const took = Date.now() - started;
		for (const [i, answer] of answers.entries()) {
			const behaviour = failing[i];
			expect(answer, behaviour).toMatch(/^HTTP\/1\.1 503 /);
			expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)), behaviour).toMatchObject({
				group: "actor",
				code: "unavailable",
			});
			// Decided again meanwhile, after a pause each time (200 ms): a handful of tries.
			expect(fake.connections.get(behaviour as string), behaviour).toBeGreaterThan(1);
			expect(fake.connections.get(behaviour as string), behaviour).toBeLessThan(40);
		}
		// Within the retry window (the lease time, 2 s, and a second's grace), with room.
		expect(took).toBeLessThan(TTL + 2_000 + 1_000 + 5_000);

		// What the owner answers is its answer: relayed once, as it came.
		const refused = await upgrade(entry.url, "refuse", 10_000);
		expect(refused).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
		expect(refused).toContain('{"owner":"fake"}');
		expect(fake.connections.get("refuse")).toBe(1);
	} finally {
		fake.close();
		await cluster.stop();
	}
}, 120_000);
