// Regression (an attacker probe, 2026-11-27): a node frozen past its lease, whose actor another
// node took over, closed that actor's WebSockets with 1011 core.internal_error when it came
// back and dropped the actor. They now close with 1012 (a restart: the client reconnects, to
// the new owner) and the reason actor.moved.
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { rawSocket } from "../helpers/raw.js";
import { TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const LEASE_TTL_MS = 600;

it("a frozen owner that lost its actor closes its sockets as moved, not as an internal error", async () => {
	const cluster = new TestCluster({ leaseTtlMs: LEASE_TTL_MS, heartbeatMs: 150 });
	try {
		const first = await cluster.start();
		const second = await cluster.start();
		const socket = await rawSocket(
			`${first.url.replace(/^http/, "ws")}/gateway/tally/connect?rvt-method=getOrCreate&rvt-key=moved`,
			["rivet", "rivet_encoding.json"],
		);
		await expect.poll(() => socket.decoded().length).toBe(1);
		expect(socket.decoded()[0].body.tag).toBe("Init");
		cluster.pause(first.id);
		await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS + 400));
		const taken = await cluster.client(second.id).tally.getOrCreate("moved").add("new");
		expect(taken.node).toBe(second.id);
		cluster.resume(first.id);
		expect(await socket.closed).toEqual({ code: 1012, reason: "actor.moved" });
	} finally {
		await cluster.stop();
	}
}, 30_000);
