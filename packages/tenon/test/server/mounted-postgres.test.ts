// A runtime mounted in another server (`registry.handler`) on PostgreSQL never joined its
// cluster, so it never renewed its leases: past the lease time another node could take its
// actors while it still served them from memory, and `/ready` said 200 (a review,
// 2026-11-28). It joins now, and renews.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actor, postgresDriver, setup } from "../../src/index.js";
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

const counter = actor({ state: { n: 0 }, actions: { add: (c) => ++c.state.n } });
const TTL = 600;

describe("a runtime mounted on PostgreSQL", () => {
	it("joins its cluster and keeps its leases past the lease time", async () => {
		const schema = freshSchema();
		const registry = setup({
			use: { counter },
			logLevel: "silent",
			storage: postgresDriver({
				url: POSTGRES_URL,
				schema,
				cluster: { nodeId: "mounted-1", leaseTtlMs: TTL, heartbeatMs: 150 },
			}),
		});
		const send = async (path: string, init?: RequestInit) => {
			const response = await registry.handler(new Request(`http://localhost${path}`, init), {
				remoteAddress: "127.0.0.1",
			});
			return { status: response.status, body: await response.json() };
		};
		const add = () =>
			send("/gateway/counter/action/add?rvt-method=getOrCreate&rvt-key=a", {
				method: "POST",
				headers: { "content-type": "application/json" },
				body: "{}",
			});
		try {
			expect(await add()).toEqual({ status: 200, body: { output: 1 } });
			await new Promise((resolve) => setTimeout(resolve, 3 * TTL));
			// Its lease is still its own, renewed: not expired for another node to take.
			const leases = await sqlAdmin().unsafe(
				`SELECT node_id, expires_at > (extract(epoch from clock_timestamp()) * 1000) AS live FROM ${schema}.leases`,
			);
			expect(leases.map((row) => [row.node_id, row.live])).toEqual([["mounted-1", true]]);
			const nodes = await sqlAdmin().unsafe(`SELECT node_id FROM ${schema}.nodes`);
			expect(nodes.map((row) => row.node_id)).toEqual(["mounted-1"]);
			expect(await send("/ready")).toMatchObject({ status: 200, body: { status: "ready" } });
			expect(await add()).toEqual({ status: 200, body: { output: 2 } });
		} finally {
			await registry.stop();
			await dropSchema(schema);
		}
	});
});
