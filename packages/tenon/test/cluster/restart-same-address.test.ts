// A node died (SIGKILL) and came back on the same address under a new node id
// (the default: `--node-id` is random per start). Its old leases still hold for
// the TTL, and the old node's row still names this very address: requests for
// those actors were forwarded to the node itself, ran out of hops, and got
// 503 within milliseconds (a review, 2026-11-26). They wait, retrying, and take
// the actor over once the lease has expired, as for any owner not reached.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin, sqlAdmin } from "../helpers/postgres.js";
import { TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)";

describe("an owner's lease that names a dead node whose address is now this node's", () => {
	it("is waited out, and the actor taken over here", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 2_000, heartbeatMs: 500 });
		try {
			const node = await cluster.start();
			const S = cluster.schema;
			// An actor that exists (created, never woken).
			const created = await fetch(`${node.url}/actors`, {
				method: "PUT",
				headers: { "content-type": "application/json" },
				body: JSON.stringify({ name: "tally", key: "restarted" }),
			});
			const actorId = ((await created.json()) as { actor: { actor_id: string } }).actor.actor_id;
			// The state a SIGKILL leaves: the dead process's row (its address, now reused by
			// this node after a restart under a new id) and its lease, valid for 2 more seconds.
			await sqlAdmin().unsafe(
				`INSERT INTO ${S}.nodes (node_id, address, started_at, heartbeat_at)
				 VALUES ('dead-node', $1, ${NOW_MS} - 60000, ${NOW_MS} - 500)`,
				[node.url],
			);
			await sqlAdmin().unsafe(
				`INSERT INTO ${S}.leases (actor_id, node_id, epoch, expires_at)
				 VALUES ($1, 'dead-node', 7, ${NOW_MS} + 2000)`,
				[actorId],
			);
			const answer = await fetch(
				`${node.url}/gateway/tally/action/add?rvt-method=getOrCreate&rvt-key=restarted`,
				{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":["a"]}' },
			);
			const body = await answer.text();
			// As for an owner that does not answer: the call waits until the lease expires
			// and the actor is taken over here.
			expect(answer.status).toBe(200);
			expect(JSON.parse(body).output.node).toBe(node.id);
		} finally {
			await cluster.stop();
		}
	}, 60_000);
});
