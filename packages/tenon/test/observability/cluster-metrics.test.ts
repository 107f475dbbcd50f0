import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, postgresDriver, setup } from "../../src/index.js";
import {
	assertPostgresReachable,
	closeAdmin,
	dropSchema,
	freshSchema,
	POSTGRES_URL,
} from "../helpers/postgres.js";
import { scrape } from "../helpers/prometheus.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const ADMIN = "cluster-metrics-admin-token-0123";

const tally = actor({
	state: { count: 0 },
	actions: {
		add: (c) => {
			c.state.count++;
			return c.state.count;
		},
	},
});

/** The client's view of the nodes' registry. */
const shape = setup({ use: { tally } });

/** A node of a two-node cluster, in this process. */
function node(schema: string, nodeId: string) {
	return setup({
		use: { tally },
		admin: { token: ADMIN },
		logLevel: "silent",
		storage: postgresDriver({
			url: POSTGRES_URL,
			schema,
			maxConnections: 4,
			cluster: { nodeId, leaseTtlMs: 5_000, heartbeatMs: 1_000 },
		}),
	}).start({ port: 0, host: "127.0.0.1" });
}

describe("metrics in a cluster", () => {
	it("reports the leases each node holds, and counts an action on the owner only", async () => {
		const schema = freshSchema();
		try {
			await using one = await node(schema, "metrics-1");
			await using two = await node(schema, "metrics-2");
			const viaOne = createClient<typeof shape>({ endpoint: one.url });
			const viaTwo = createClient<typeof shape>({ endpoint: two.url });
			try {
				// An actor wakes on the node its first call enters through.
				for (const key of ["a", "b", "c"]) await viaOne.tally.getOrCreate(key).add();
				for (const key of ["d", "e"]) await viaTwo.tally.getOrCreate(key).add();
				// A call through the other node is forwarded to the owner.
				expect(await viaTwo.tally.getOrCreate("a").add()).toBe(2);

				const first = await scrape(`${one.url}/metrics`, ADMIN);
				const second = await scrape(`${two.url}/metrics`, ADMIN);
				expect(first.samples("tenon_cluster_leases")).toEqual([
					{ value: "3", labels: { node: "metrics-1" } },
				]);
				expect(second.samples("tenon_cluster_leases")).toEqual([
					{ value: "2", labels: { node: "metrics-2" } },
				]);
				expect(first.value("tenon_actors_awake", { actor: "tally" })).toBe(3);
				expect(second.value("tenon_actors_awake", { actor: "tally" })).toBe(2);
				const adds = { actor: "tally", action: "add" };
				expect(first.value("tenon_actions_total", adds)).toBe(4);
				expect(second.value("tenon_actions_total", adds)).toBe(2);
			} finally {
				await viaOne.dispose();
				await viaTwo.dispose();
			}
		} finally {
			await dropSchema(schema);
		}
	}, 60_000);
});
