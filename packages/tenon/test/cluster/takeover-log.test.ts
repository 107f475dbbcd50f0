// A node that takes over the actors of a node whose lease expired says so, once per node
// and 10 s (failover was silent on the survivors: an SRE walkthrough, 2026-11-28), and
// counts each actor in tenon_cluster_takeovers_total.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { callTally, TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const METRICS_TOKEN = "takeover-metrics-token-0123456789";

/** A sample's value in a node's `/metrics`, or undefined. */
async function sample(url: string, line: string): Promise<number | undefined> {
	const response = await fetch(`${url}/metrics`, {
		headers: { authorization: `Bearer ${METRICS_TOKEN}` },
	});
	expect(response.status).toBe(200);
	const found = (await response.text()).split("\n").find((text) => text.startsWith(`${line} `));
	return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe("cluster: a takeover", () => {
	it("is logged by the node that takes over, once for all of a dead node's actors", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 1_000, heartbeatMs: 250 });
		try {
			const owner = await cluster.start("node-a");
			const survivor = await cluster.start("node-b", {
				TENON_LOG_LEVEL: "info",
				TENON_LOG_FORMAT: "json",
				TENON_METRICS_TOKEN: METRICS_TOKEN,
			});
			// None yet, shown as 0: increase() and rate() need a sample before the first takeover.
			expect(await sample(survivor.url, 'tenon_cluster_takeovers_total{node="node-b"}')).toBe(0);
			expect(await sample(survivor.url, 'tenon_cluster_leases_lost_total{node="node-b"}')).toBe(0);
			const keys = ["t0", "t1", "t2", "t3"];
			for (const key of keys) {
				const first = await callTally(owner.url, key, "add", [`${key}-1`]);
				expect(first.body.output?.node).toBe("node-a");
			}
			await cluster.kill("node-a");
			for (const key of keys)
				await expect
					.poll(async () => (await callTally(survivor.url, key, "add", [`${key}-2`])).status, {
						timeout: 10_000,
						interval: 100,
					})
					.toBe(200);
			const lines = survivor.server
				.stderr()
				.split("\n")
				.filter((line) => line.includes("took over actors whose owner's lease expired"));
			expect(lines).toHaveLength(1);
			expect(JSON.parse(lines[0] as string)).toMatchObject({
				level: "info",
				module: "cluster",
				from: "node-a",
			});
			expect(await sample(survivor.url, 'tenon_cluster_takeovers_total{node="node-b"}')).toBe(4);
			expect(await sample(survivor.url, 'tenon_cluster_leases{node="node-b"}')).toBe(4);
		} finally {
			await cluster.stop();
		}
	}, 60_000);
});
