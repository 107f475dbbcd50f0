// A node whose PostgreSQL connections are terminated under load (a pooler or a failover
// restarting, `idle_session_timeout`) stays up and serves again once they reconnect: the
// client library threw from a timer on a connection already gone (porsager/postgres#1154),
// and the uncaught TypeError ended the process, 3 times in 3 runs (an SRE walkthrough,
// 2026-11-28). Only this node's backends are terminated (its schema is its application_name).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	connect as connectPostgres,
	reconnectDelayS,
} from "../../src/storage/drivers/postgres/connection.js";
import {
	isStrayTypesError,
	isStrayWriteError,
} from "../../src/storage/drivers/postgres/write-guard.js";
import {
	assertPostgresReachable,
	closeAdmin,
	POSTGRES_URL,
	sqlAdmin,
} from "../helpers/postgres.js";
import { PostgresProxy } from "../helpers/postgres-proxy.js";
import { callTally, TestCluster } from "./harness.js";

/** The ErrorResponse PostgreSQL sends a backend it terminates (`pg_terminate_backend`). */
function adminShutdown(): Buffer {
	const fields = Buffer.from(
		"SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0",
	);
	const head = Buffer.alloc(5);
	head.write("E", 0);
	head.writeInt32BE(fields.length + 4, 1);
	return Buffer.concat([head, fields]);
}

/**
 * A TCP proxy to PostgreSQL that, once armed, terminates the next new connections the way
 * `pg_terminate_backend` does at the moment the client library sends its own first query
 * (the array types it fetches): the window a real termination hits by chance.
 */
async function terminatingProxy() {
	let armed = 0;
	let terminated = 0;
	const proxy = new PostgresProxy((chunk, client, upstream) => {
		if (armed === 0 || !chunk.toString("latin1").includes("b.typarray")) return false;
		armed--;
		terminated++;
		upstream.destroy();
		client.end(adminShutdown());
		return true;
	});
	await proxy.up();
	return {
		url: proxy.url,
		arm(count: number) {
			armed = count;
		},
		get terminated() {
			return terminated;
		},
		close: () => proxy.down(),
	};
}

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

describe("cluster: PostgreSQL drops a node's connections", () => {
	it("the node stays up through repeated terminations", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 2_000, heartbeatMs: 250 });
		try {
			const node = await cluster.start(undefined, { TENON_LOG_LEVEL: "silent" });
			expect((await callTally(node.url, "k0", "add", ["warm"])).status).toBe(200);
			let stop = false;
			const statuses = new Map<number, number>();
			const traffic = (async () => {
				for (let i = 0; !stop; i++) {
					const status = await callTally(node.url, `k${i % 8}`, "add", [`op-${i}`]).then(
						(r) => r.status,
						() => 0,
					);
					statuses.set(status, (statuses.get(status) ?? 0) + 1);
				}
			})();
			let terminated = 0;
			const until = Date.now() + 5_000;
			while (Date.now() < until && node.server.process.exitCode === null) {
				const [row] = await sqlAdmin().unsafe(
					"SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = $1",
					[`tenon ${cluster.schema}`],
				);
				terminated += Number(row?.n ?? 0);
				await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 150));
			}
			stop = true;
			await traffic;
			expect(terminated).toBeGreaterThan(5);
			expect(node.server.process.exitCode, "the node exited").toBeNull();
			expect(node.server.process.signalCode).toBeNull();
			// Served again once its connections are back: not asserted here. On a loaded machine
			// (two gate runs of 2026-11-29, and 1 in 3 runs beside two busy loops) new connections
			// failed CONNECT_TIMEOUT (10 s each) for over 50 s after the terminations, every call a
			// 500 meanwhile, where an idle machine serves again within a second: an open finding
			// (issue 17's note of that night) to fix, not to wait out here.
		} finally {
			await cluster.stop();
		}
	}, 60_000);

	// The client library drops the promise of its own first query on a new connection (the
	// array types), and a termination in that window was an unhandled rejection (57P01, or
	// CONNECTION_CLOSED) that ended the process (porsager/postgres#1192, #1223; 3 runs in 3 of
	// a three-node cluster under repeated terminations, 2026-11-28). Made certain here.
	it("the node stays up when a connection is terminated while it is set up", async () => {
		const proxy = await terminatingProxy();
		const cluster = new TestCluster({ leaseTtlMs: 2_000, heartbeatMs: 250 });
		try {
			const node = await cluster.start(undefined, {
				TENON_POSTGRES_URL: proxy.url,
				TENON_LOG_LEVEL: "warn",
			});
			expect((await callTally(node.url, "k0", "add", ["warm"])).status).toBe(200);
			proxy.arm(1);
			// Its connections go; the next ones are made through the armed proxy.
			await sqlAdmin().unsafe(
				"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
				[`tenon ${cluster.schema}`],
			);
			await expect.poll(() => proxy.terminated, { timeout: 10_000, interval: 50 }).toBe(1);
			await new Promise((resolve) => setTimeout(resolve, 500));
			expect(node.server.process.exitCode, "the node exited").toBeNull();
			expect(node.server.stderr()).toContain("closed while it was set up");
			await expect
				.poll(async () => (await callTally(node.url, "k1", "add", ["after"])).status, {
					timeout: 15_000,
					interval: 250,
				})
				.toBe(200);
			expect(node.server.process.exitCode, "the node exited").toBeNull();
		} finally {
			await cluster.stop();
			await proxy.close();
		}
	}, 60_000);

	it("reconnects after at most a second, however many connections closed", async () => {
		// The library's own delay grows as 3^n / 100 s up to 20 s: during a burst of
		// terminations a node served 250 calls in 5 s with it, 400 to 1,000 with ours.
		const sql = await connectPostgres(POSTGRES_URL, {
			max: 1,
			applicationName: "tenon backoff-test",
		});
		try {
			expect((sql as unknown as { options: { backoff: unknown } }).options.backoff).toBe(
				reconnectDelayS,
			);
		} finally {
			await sql.end();
		}
		for (const retries of [0, 1, 5, 10, 50]) {
			expect(reconnectDelayS(retries)).toBeGreaterThan(0);
			expect(reconnectDelayS(retries)).toBeLessThanOrEqual(1);
		}
		expect(reconnectDelayS(0)).toBeLessThanOrEqual(0.02);
	});

	it("recognises the library's stray throw and nothing else", () => {
		const stray = new TypeError("Cannot read properties of null (reading 'write')");
		stray.stack = `${stray.message}\n    at nextWrite (/app/node_modules/postgres/src/connection.js:255:22)\n    at process.processImmediate (node:internal/timers:478:21)`;
		expect(isStrayWriteError(stray)).toBe(true);
		const other = new TypeError("Cannot read properties of null (reading 'write')");
		other.stack = `${other.message}\n    at nextWrite (/app/src/mine.js:1:1)`;
		expect(isStrayWriteError(other)).toBe(false);
		expect(isStrayWriteError(new Error("reading 'write'"))).toBe(false);
	});

	it("recognises the library's stray types rejection by its query, and nothing else", () => {
		const named = (error: Error, query: string) =>
			Object.defineProperty(error, "query", { value: query, enumerable: false });
		const types =
			"\n      select b.oid, b.typarray\n      from pg_catalog.pg_type a\n      left join pg_catalog.pg_type b on b.oid = a.typelem\n";
		const shutdown = Object.assign(
			new Error("terminating connection due to administrator command"),
			{ code: "57P01" },
		);
		expect(isStrayTypesError(named(shutdown, types))).toBe(true);
		const closed = Object.assign(new Error("write CONNECTION_CLOSED 127.0.0.1:5432"), {
			code: "CONNECTION_CLOSED",
		});
		expect(isStrayTypesError(named(closed, types))).toBe(true);
		const mine = Object.assign(new Error("terminating connection"), { code: "57P01" });
		expect(isStrayTypesError(named(mine, "SELECT 1"))).toBe(false);
		expect(isStrayTypesError(Object.assign(new Error("x"), { code: "57P01" }))).toBe(false);
		expect(isStrayTypesError(new Error(types))).toBe(false);
	});
});
