// A cluster node's `GET /ready` while its lease renewals hang (a database
// that takes connections but answers nothing: locks, a stalled disk): 503
// `leases` (it may no longer own what it holds), 200 once a renewal lands.
// A node that merely lost actors to another node while its renewals go
// through is ready: it holds nothing stale, and takes actors again as usual.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin, lockTable } from "../helpers/postgres.js";
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
			const unlock = await lockTable(cluster.schema, ["leases", "nodes"]);
			// Not ready for as long as the renewals hang: three probes in a row, 200 ms apart (the
			// moment late actors are dropped says so once, whatever the renewals do).
			const during: { status: number; body: unknown }[] = [];
			try {
				await new Promise((r) => setTimeout(r, TTL));
				for (let i = 0; i < 3; i++) {
					during.push(await ready(node.url));
					await new Promise((r) => setTimeout(r, 200));
				}
			} finally {
				await unlock();
			}
			for (const probe of during)
				expect(probe).toMatchObject({
					status: 503,
					body: { status: "not_ready", reason: "leases" },
				});
			let after = during.at(-1) ?? { status: 0, body: undefined };
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
