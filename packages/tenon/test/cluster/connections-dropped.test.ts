// A node whose PostgreSQL connections are terminated under load (a pooler or a failover
// restarting, `idle_session_timeout`) stays up and serves again once they reconnect: the
// client library threw from a timer on a connection already gone (porsager/postgres#1154),
// and the uncaught TypeError ended the process, 3 times in 3 runs (an SRE walkthrough,
// 2026-11-28). Only this node's backends are terminated (its schema is its application_name).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isStrayWriteError } from "../../src/storage/drivers/postgres/write-guard.js";
import { assertPostgresReachable, closeAdmin, sqlAdmin } from "../helpers/postgres.js";
import { callTally, TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

describe("cluster: PostgreSQL drops a node's connections", () => {
	it("the node stays up through repeated terminations and serves again", async () => {
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
			// Served again once its connections are back.
			await expect
				.poll(async () => (await callTally(node.url, "k1", "add", ["after"])).status, {
					timeout: 15_000,
					interval: 250,
				})
				.toBe(200);
		} finally {
			await cluster.stop();
		}
	}, 60_000);

	it("recognises the library's stray throw and nothing else", () => {
		const stray = new TypeError("Cannot read properties of null (reading 'write')");
		stray.stack = `${stray.message}\n    at nextWrite (/app/node_modules/postgres/src/connection.js:255:22)\n    at process.processImmediate (node:internal/timers:478:21)`;
		expect(isStrayWriteError(stray)).toBe(true);
		const other = new TypeError("Cannot read properties of null (reading 'write')");
		other.stack = `${other.message}\n    at nextWrite (/app/src/mine.js:1:1)`;
		expect(isStrayWriteError(other)).toBe(false);
		expect(isStrayWriteError(new Error("reading 'write'"))).toBe(false);
	});
});
