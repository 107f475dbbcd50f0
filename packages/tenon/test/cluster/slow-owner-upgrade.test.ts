// An upgrade passed through to an owner that is alive and beating, but slow to
// answer (its actor still waking: a slow state load here; an onWake of 15 s
// with the default 30 s wakeTimeout and 10 s TTL is the same), was cut after
// TTL + 2 s by the timer meant for frozen owners, and refused with 503 (a
// review, 2026-11-26). An owner still beating is waited for, as an HTTP
// request waits for it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { assertPostgresReachable, closeAdmin, lockTable } from "../helpers/postgres.js";
import { TestCluster, upgradeOutcome } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const TTL = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("upgrade passed through to a slow but alive owner", () => {
	it("opens once the owner answers (as an HTTP request through the entry node does)", async () => {
		const cluster = new TestCluster({ leaseTtlMs: TTL, heartbeatMs: 250 });
		let ws: WebSocket | undefined;
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			const unlockKv = await lockTable(cluster.schema, "actor_kv");
			// The owner takes the lease and wakes the actor slowly (its state load waits).
			const wake = fetch(
				`${owner.url}/gateway/tally/action/whereAmI?rvt-method=getOrCreate&rvt-key=slow-ws`,
				{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":[]}' },
			).then(async (r) => ({ status: r.status, body: await r.text() }));
			await sleep(300);
			// An HTTP request through the entry node, for comparison: it waits for the owner.
			const viaHttp = fetch(
				`${entry.url}/gateway/tally/action/whereAmI?rvt-method=getOrCreate&rvt-key=slow-ws`,
				{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":[]}' },
			).then(async (r) => ({ status: r.status, body: await r.text() }));
			const socket = new WebSocket(
				`${entry.url.replace(/^http/, "ws")}/gateway/tally/connect?rvt-method=getOrCreate&rvt-key=slow-ws`,
				["rivet", "rivet_encoding.json"],
			);
			ws = socket;
			const outcome = upgradeOutcome(socket);
			// The owner beats all along (its leases are renewed); its actor wakes in ~5 s.
			await sleep(TTL + 4_000);
			await unlockKv();
			expect((await wake).status).toBe(200);
			expect((await viaHttp).status).toBe(200);
			expect(await outcome).toBe("open");
		} finally {
			ws?.terminate();
			await cluster.stop();
		}
	}, 60_000);
});
