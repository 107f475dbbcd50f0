// When renewals are late, leasesCurrent() forgets every late lease and tells
// the lost listeners, which dropped only actors that were awake. An actor
// still starting (lease acquired, state loading: exactly what is slow when the
// database is) was forgotten but not dropped: it finished waking with no lease
// this node renews or checks, another node took it over and acknowledged
// writes, and this node kept answering from its old copy (a review,
// 2026-11-26). It is dropped once awake, and the call finds its owner again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin, lockTable } from "../helpers/postgres.js";
import { callTally, TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const TTL = 600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("late renewals while an actor is starting", () => {
	it("an actor whose lease went late while it was starting is not served from memory after another node took it over", async () => {
		const cluster = new TestCluster({ leaseTtlMs: TTL, heartbeatMs: 150 });
		try {
			const a = await cluster.start();
			const b = await cluster.start();
			// The actor's state load on node A is slow (a busy database): its lease is taken,
			// its wake waits on actor_kv.
			const unlockKv = await lockTable(cluster.schema, "actor_kv");
			const first = callTally(a.url, "orphan", "add", ["one"]);
			await sleep(200);
			// Meanwhile A's renewals are late too (the same busy database).
			const unlockLeases = await lockTable(cluster.schema, "leases");
			await sleep(TTL + 300);
			await unlockLeases();
			await unlockKv();
			expect((await first).body.output).toMatchObject({ count: 1, node: a.id });
			// Past the lease time, another node takes the actor over and writes.
			await sleep(TTL + 400);
			const taken = await callTally(b.url, "orphan", "add", ["two"]);
			// (Before 1e245de: forwarded to A, which still held the lease.)
			expect(taken.body.output).toMatchObject({ count: 2 });
			// A read through A: the acknowledged write (count 2) or an error, never the old copy.
			const read = await callTally(a.url, "orphan", "read", []);
			if (read.status === 200) expect(read.body.output).toMatchObject({ count: 2 });
		} finally {
			await cluster.stop();
		}
	}, 60_000);
});
