// In a cluster, an upgrade finds its actor's owner (awaits PostgreSQL) between the socket
// limits' check and the socket being counted: sockets arriving together all passed
// `maxConnectionsPerAddress` (a review, 2026-11-26). Each is counted while its owner is found,
// and the limits are checked again once it is; the slot is then kept for the socket's session
// (given back between the check and the opening, lookups that ended in the same tick could
// still pass together), and given back when the socket goes before its handshake.
import { connect } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { rawSocket } from "../helpers/raw.js";
import { TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const PROTOCOLS = ["rivet", "rivet_encoding.json"];

it("sockets arriving together at a cluster node stay within maxConnectionsPerAddress", async () => {
	const cluster = new TestCluster({
		leaseTtlMs: 10_000,
		heartbeatMs: 1_000,
		env: { TENON_MAX_CONNECTIONS_PER_ADDRESS: "3" },
	});
	try {
		const node = await cluster.start();
		const base = node.url.replace(/^http/, "ws");
		// Ten actors, none awake yet: each upgrade waits on PostgreSQL for its lease.
		const attempts = await Promise.allSettled(
			Array.from({ length: 10 }, (_, i) =>
				rawSocket(`${base}/gateway/lounge/connect?rvt-method=getOrCreate&rvt-key=k${i}`, [
					...PROTOCOLS,
					`rivet_conn_params.${encodeURIComponent(JSON.stringify({ name: `n${i}` }))}`,
				]),
			),
		);
		const sockets = attempts.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
		// Opened for good: its Init came (a socket refused after the owner was found closes).
		const opened = await Promise.all(
			sockets.map(async (socket) => {
				let closed = false;
				void socket.closed.then(() => {
					closed = true;
				});
				for (;;) {
					if (socket.decoded().some((m) => m.body?.tag === "Init")) return true;
					if (closed) return false;
					await new Promise((resolve) => setTimeout(resolve, 20));
				}
			}),
		);
		expect(opened.filter(Boolean).length).toBeLessThanOrEqual(3);
		expect(opened.filter(Boolean).length).toBeGreaterThan(0);
		for (const socket of sockets) socket.ws.terminate();
	} finally {
		await cluster.stop();
	}
}, 120_000);

it("a socket that goes while its owner is found gives its slot back", async () => {
	const cluster = new TestCluster({
		leaseTtlMs: 10_000,
		heartbeatMs: 1_000,
		env: { TENON_MAX_CONNECTIONS_PER_ADDRESS: "1" },
	});
	try {
		const node = await cluster.start();
		const { hostname, port } = new URL(node.url);
		// Clients that send an upgrade for a new actor (its owner is looked up in PostgreSQL)
		// and leave before the answer: each slot held for the lookup must come back.
		for (let i = 0; i < 5; i++) {
			const socket = connect(Number(port), hostname);
			await new Promise((resolve) => socket.once("connect", resolve));
			socket.write(
				`GET /gateway/lounge/connect?rvt-method=getOrCreate&rvt-key=gone${i} HTTP/1.1\r\n` +
					`Host: ${hostname}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
					"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
					`Sec-WebSocket-Protocol: rivet, rivet_encoding.json, rivet_conn_params.${encodeURIComponent(JSON.stringify({ name: "g" }))}\r\n\r\n`,
			);
			await new Promise((resolve) => setTimeout(resolve, 2));
			socket.destroy();
		}
		// The one place this address has is free again.
		await expect
			.poll(
				async () => {
					const socket = await rawSocket(
						`${node.url.replace(/^http/, "ws")}/gateway/lounge/connect?rvt-method=getOrCreate&rvt-key=stays`,
						[
							...PROTOCOLS,
							`rivet_conn_params.${encodeURIComponent(JSON.stringify({ name: "s" }))}`,
						],
					);
					try {
						await expect.poll(() => socket.decoded().length, { timeout: 5_000 }).toBeGreaterThan(0);
						return socket.decoded()[0]?.body?.tag;
					} finally {
						socket.ws.terminate();
					}
				},
				{ timeout: 20_000 },
			)
			.toBe("Init");
	} finally {
		await cluster.stop();
	}
}, 120_000);
