// A lease counts as this node's for leaseTtlMs less a tenth after the renewal
// that kept it (cluster.ts, leasesCurrent). A heartbeat above half the lease
// time (TTL 1000, heartbeat 950 was accepted) made a healthy node find its
// leases late on every beat and drop its actors (a review, 2026-11-26): it is
// refused where the driver is configured, and one at half keeps its leases.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresDriver } from "../../src/storage/drivers/postgres/index.js";
import {
	assertPostgresReachable,
	closeAdmin,
	dropSchema,
	freshSchema,
	POSTGRES_URL,
} from "../helpers/postgres.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the cluster heartbeat against the lease time", () => {
	it("a heartbeat above half the lease time is refused", async () => {
		const schema = freshSchema();
		try {
			await expect(
				(async () => {
					const handles = await postgresDriver({
						url: POSTGRES_URL,
						schema,
						maxConnections: 2,
						cluster: { nodeId: "hb-bad", leaseTtlMs: 1_000, heartbeatMs: 950 },
					}).open();
					await handles.close();
				})(),
			).rejects.toThrow(/heartbeatMs \(950\) must be above 0 and at most half of leaseTtlMs/);
		} finally {
			await dropSchema(schema);
		}
	});

	it("a healthy node renewing every half lease time keeps its leases", async () => {
		const schema = freshSchema();
		const handles = await postgresDriver({
			url: POSTGRES_URL,
			schema,
			maxConnections: 4,
			cluster: { nodeId: "hb", leaseTtlMs: 1_000, heartbeatMs: 500 },
		}).open();
		try {
			const cluster = handles.cluster;
			if (!cluster) throw new Error("no cluster");
			const lost: string[] = [];
			cluster.onLeasesLost((ids) => lost.push(...ids));
			await cluster.join("http://127.0.0.1:1");
			await handles.placement.acquire("actor-hb-1");
			await sleep(2_500);
			expect(cluster.leasesCurrent()).toBe(true);
			expect(lost).toEqual([]);
		} finally {
			await handles.close();
			await dropSchema(schema);
		}
	}, 30_000);
});
