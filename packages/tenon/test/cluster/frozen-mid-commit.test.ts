// A node frozen between a commit's statements and its COMMIT (a GC or VM
// stall, SIGSTOP): its transaction held the actor's lease row (FOR SHARE) and
// fence row, so another node's takeover of that actor waited for as long as
// the node stayed frozen, past its lease (found as a cluster test that hung
// for 60 s, 2026-11-26). PostgreSQL now ends a session idle in a transaction
// for a lease's time; the frozen commit fails unacknowledged.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin, lockTable, sqlAdmin } from "../helpers/postgres.js";
import { callTally, TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const TTL = 600;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A session of the cluster on `schema` (named `tenon <schema>`) whose commit waits for a lock. */
async function commitWaitingOnLock(schema: string): Promise<boolean> {
	const [row] = await sqlAdmin()<{ n: number }[]>`
		SELECT count(*)::int AS n FROM pg_stat_activity
		WHERE application_name = ${`tenon ${schema}`} AND wait_event_type = 'Lock' AND query LIKE '%commit_item%'`;
	return (row?.n ?? 0) > 0;
}

/** A session of the cluster on `schema` has been idle inside a transaction for over 100 ms. */
async function transactionLeftOpen(schema: string): Promise<boolean> {
	const [row] = await sqlAdmin()<{ n: number }[]>`
		SELECT count(*)::int AS n FROM pg_stat_activity
		WHERE application_name = ${`tenon ${schema}`} AND state = 'idle in transaction'
			AND state_change < clock_timestamp() - interval '100 milliseconds'`;
	return (row?.n ?? 0) > 0;
}

describe("a node frozen inside a commit's transaction", () => {
	it("does not keep its actor from another node past its lease", async () => {
		const cluster = new TestCluster({ leaseTtlMs: TTL, heartbeatMs: 150 });
		let writing = true;
		try {
			const frozen = await cluster.start();
			const other = await cluster.start();
			expect((await callTally(frozen.url, "busy", "add", ["first"])).status).toBe(200);
			// Writes one after another on its owner, each a commit (a transaction).
			const writes = (async () => {
				for (let n = 0; writing; n++)
					await callTally(frozen.url, "busy", "add", [`w${n}`]).catch(() => undefined);
			})();
			// Frozen at a point where the transaction holds the rows, not by chance: the actor's
			// fence table is locked, so the next commit's statement waits on it (after its BEGIN);
			// the node is stopped while it waits, then the table is unlocked, so the statement
			// takes its rows and answers a node that cannot send its COMMIT. (The first version
			// stopped the node at random moments, 60 times, hoping to land inside a commit, and
			// missed all 60 in a CI run, 2026-11-28.)
			const unlock = await lockTable(cluster.schema, "actor_fences");
			try {
				await expect.poll(() => commitWaitingOnLock(cluster.schema), { interval: 10 }).toBe(true);
				cluster.pause(frozen.id);
			} finally {
				await unlock();
			}
			// Idle inside the transaction for over 100 ms, and not yet ended by PostgreSQL (which
			// does after the lease's 600 ms).
			await expect
				.poll(() => transactionLeftOpen(cluster.schema), { interval: 20, timeout: 5_000 })
				.toBe(true);
			// The other node takes the actor over once the lease ran out (until then it answers
			// 503 actor/unavailable: the owner does not answer). Before, its calls waited on the
			// frozen transaction's row locks, or kept failing, until the node ran again.
			const deadline = Date.now() + 20_000;
			let taken: { status: number; node?: string } = { status: 0 };
			while (taken.status !== 200 && Date.now() < deadline) {
				const left = Math.max(1, deadline - Date.now());
				taken = await fetch(
					`${other.url}/gateway/tally/action/add?rvt-method=getOrCreate&rvt-key=busy`,
					{
						method: "POST",
						headers: { "content-type": "application/json" },
						body: JSON.stringify({ args: ["taken"] }),
						signal: AbortSignal.timeout(left),
					},
				).then(
					async (response) => ({
						status: response.status,
						node: ((await response.json()) as { output?: { node: string } }).output?.node,
					}),
					() => ({ status: 0 }),
				);
				if (taken.status !== 200) await sleep(100);
			}
			expect(taken).toEqual({ status: 200, node: other.id });
			writing = false;
			cluster.resume(frozen.id);
			await writes;
		} finally {
			writing = false;
			await cluster.stop();
		}
	}, 40_000);
});
