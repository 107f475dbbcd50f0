// Regression (an attacker probe, 2026-11-27): two live processes with one node id (`--node-id`
// from a host name on two machines, or a restart while the old process still runs) both kept
// an actor. A node may take back its own lease at once (its restart), so the second process
// took the first's; but renewals and releases went by node id only: the first process kept
// renewing the lease the second now held, never learned it was lost, and answered reads from
// its stale copy for good; one process's clean shutdown also freed the other's leases. They now
// go by the epoch each process acquired, and a second live process of an id is logged.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, type LogFields } from "../../src/common/logger.js";
import { postgresDriver } from "../../src/storage/drivers/postgres/index.js";
import {
	assertPostgresReachable,
	closeAdmin,
	dropSchema,
	freshSchema,
	POSTGRES_URL,
	sqlAdmin,
} from "../helpers/postgres.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

function open(schema: string, warnings: string[] = []) {
	const logger = createLogger({
		level: "warn",
		sink: (_level, message: string, _fields: LogFields) => warnings.push(message),
	});
	return postgresDriver({
		url: POSTGRES_URL,
		schema,
		maxConnections: 2,
		logger,
		cluster: { nodeId: "same", leaseTtlMs: 2_000, heartbeatMs: 200 },
	}).open();
}

describe("two live processes with one node id", () => {
	it("the one whose lease was taken learns it at its next renewal, and neither frees the other's", async () => {
		const schema = freshSchema();
		const warnings: string[] = [];
		const first = await open(schema);
		const second = await open(schema, warnings);
		let firstClosed = false;
		try {
			const [a, b] = [first.cluster, second.cluster];
			if (!a || !b) throw new Error("no cluster");
			const lostOnFirst: string[] = [];
			a.onLeasesLost((ids) => lostOnFirst.push(...ids));
			await a.join("http://127.0.0.1:1");
			await b.join("http://127.0.0.1:2");
			expect(warnings.some((line) => line.includes("another process of this node id"))).toBe(true);

			expect(await first.placement.acquire("x")).toBe(1);
			expect(await second.placement.acquire("x")).toBe(2);
			await expect.poll(() => lostOnFirst, { timeout: 5_000 }).toEqual(["x"]);

			// The first process stops cleanly: the lease the second holds stays the second's.
			await first.placement.release("x");
			await first.close();
			firstClosed = true;
			const sql = sqlAdmin();
			const [row] =
				await sql`SELECT node_id, epoch FROM ${sql(schema)}.leases WHERE actor_id = 'x'`;
			expect(row).toEqual({ node_id: "same", epoch: "2" });
			const lostOnSecond: string[] = [];
			b.onLeasesLost((ids) => lostOnSecond.push(...ids));
			await new Promise((resolve) => setTimeout(resolve, 600));
			expect(lostOnSecond).toEqual([]);
			expect(b.leasesCurrent()).toBe(true);
		} finally {
			if (!firstClosed) await first.close();
			await second.close();
			await dropSchema(schema);
		}
	}, 30_000);
});
