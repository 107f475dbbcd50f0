// A cluster node's `GET /ready` while its lease renewals hang (a database
// that takes connections but answers nothing: locks, a stalled disk): 503
// `leases` (it may no longer own what it holds), 200 once a renewal lands.
// A node that merely lost actors to another node while its renewals go
// through is ready: it holds nothing stale, and takes actors again as usual.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin, sqlAdmin } from "../helpers/postgres.js";
import { callTally, TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const TTL = 600;

async function ready(url: string): Promise<{ status: number; body: unknown }> {
	return fetch(`${url}/ready`, { signal: AbortSignal.timeout(5_000) }).then(
		async (response) => ({ status: response.status, body: await response.json() }),
		(error: unknown) => ({ status: 0, body: String(error) }),
	);
}

describe("GET /ready on a cluster node", () => {
	it("answers 503 leases while its renewals hang, and 200 once they land again", async () => {
		const cluster = new TestCluster({ leaseTtlMs: TTL, heartbeatMs: 150 });
		try {
			const node = await cluster.start();
			expect((await callTally(node.url, "r", "add", ["one"])).status).toBe(200);
			expect(await ready(node.url)).toMatchObject({ status: 200, body: { status: "ready" } });
			// The node's renewal statements wait on locks (its leases and its own row) for a while.
			let unlock = () => {};
			const unlocked = new Promise<void>((resolve) => {
				unlock = resolve;
			});
			let locked = () => {};
			const isLocked = new Promise<void>((resolve) => {
				locked = resolve;
			});
			const holding = sqlAdmin().begin(async (tx) => {
				await tx.unsafe(
					`LOCK TABLE ${cluster.schema}.leases, ${cluster.schema}.nodes IN ACCESS EXCLUSIVE MODE`,
				);
				locked();
				await unlocked;
			});
			await isLocked;
			let during: { status: number; body: unknown } = { status: 0, body: undefined };
			try {
				const deadline = Date.now() + 3 * TTL;
				while (Date.now() < deadline) {
					during = await ready(node.url);
					if (during.status === 503) break;
					await new Promise((r) => setTimeout(r, 50));
				}
			} finally {
				unlock();
				await holding;
			}
			expect(during).toMatchObject({
				status: 503,
				body: { status: "not_ready", reason: "leases" },
			});
			let after = during;
			for (let tries = 0; tries < 100 && after.status !== 200; tries++) {
				await new Promise((r) => setTimeout(r, 50));
				after = await ready(node.url);
			}
			expect(after).toMatchObject({ status: 200, body: { status: "ready" } });
			expect((await callTally(node.url, "r", "add", ["two"])).status).toBe(200);
		} finally {
			await cluster.stop();
		}
	}, 60_000);
});
