// An owner paused past its lease time, resumed while its renewal is slow (a
// busy database): it answered reads from the copy of the actor it held in
// memory, older than a write another node had acknowledged meanwhile (a
// review, 2026-11-26). A node whose renewals are late serves nothing from
// memory: its actors are dropped, and the next call finds the owner again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin, sqlAdmin } from "../helpers/postgres.js";
import { callTally, TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const TTL = 600;
const METRICS_TOKEN = "late-renewals-metrics-token-0123";

describe("reads on an owner that lost its lease while paused", () => {
	it("never answers a read from the old copy after another node wrote a newer state", async () => {
		const cluster = new TestCluster({ leaseTtlMs: TTL, heartbeatMs: 150 });
		try {
			const env = { TENON_METRICS_TOKEN: METRICS_TOKEN };
			const old = await cluster.start("late-old", env);
			const other = await cluster.start("late-other", env);
			expect((await callTally(old.url, "stale", "add", ["one"])).body.output).toMatchObject({
				count: 1,
				node: old.id,
			});
			cluster.pause(old.id);
			await new Promise((r) => setTimeout(r, TTL + 400));
			// Another node takes the actor over and acknowledges a write.
			const taken = await callTally(other.url, "stale", "add", ["two"]);
			expect(taken.body.output).toMatchObject({ count: 2, node: other.id });
			// A read sent to the old owner while it is frozen, answered once it runs again.
			// PostgreSQL is slow to answer the old owner's next lease renewal (here: its heartbeat
			// row is locked for a moment, as a busy database or a slow network would delay it).
			// A row lock, not `LOCK TABLE`: a node frozen by SIGSTOP between a statement's Parse
			// and its Bind (postgres.js sends them apart the first time a connection runs a
			// statement) holds that statement's table locks until it runs again, with no timeout
			// on the server's side, so an exclusive table lock waited for the frozen node for good
			// (a CI run, 2026-11-28), and every renewal queued behind it (the other node's lease
			// expired, and the old node took the actor back).
			let unlock = () => {};
			const unlocked = new Promise<void>((resolve) => {
				unlock = resolve;
			});
			let locked = () => {};
			const isLocked = new Promise<void>((resolve) => {
				locked = resolve;
			});
			const holding = sqlAdmin().begin(async (tx) => {
				const rows = await tx.unsafe(
					`SELECT node_id FROM ${cluster.schema}.nodes WHERE node_id = 'late-old' FOR UPDATE`,
				);
				expect(rows).toHaveLength(1);
				locked();
				await unlocked;
			});
			await isLocked;
			cluster.resume(old.id);
			await new Promise((r) => setTimeout(r, 300));
			// Reads through the old owner, which lost the lease ~1 s ago.
			const pending = Promise.all(
				Array.from({ length: 3 }, () => callTally(old.url, "stale", "read", [])),
			);
			await new Promise((r) => setTimeout(r, 500));
			unlock();
			await holding;
			const reads = await pending;
			const stale = reads.filter((read) => read.status === 200 && read.body.output?.count !== 2);
			// The acknowledged write is visible (count 2), or an error; never the old copy's count 1.
			expect(stale).toEqual([]);
			expect(reads.some((read) => read.status === 200)).toBe(true);
			// Counted: the old owner lost the lease, the other node took the actor over.
			const metrics = async (url: string) =>
				(
					await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
				).text();
			expect(await metrics(old.url)).toContain(
				'tenon_cluster_leases_lost_total{node="late-old"} 1\n',
			);
			expect(await metrics(other.url)).toContain(
				'tenon_cluster_takeovers_total{node="late-other"} 1\n',
			);
		} finally {
			await cluster.stop();
		}
	}, 60_000);
});
