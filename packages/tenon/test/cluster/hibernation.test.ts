// Hibernated connections in a cluster: the node holding a connection's
// socket need not own its actor. While the connection hibernates, the actor
// may wake on another node: that node's events reach the connection through a
// link from the holder, and the connection's messages go to it; when the
// actor sleeps there, the holder keeps the socket and the next message finds
// whichever node owns the actor then.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin, untilLeasesReleased } from "../helpers/postgres.js";
import { type ClusterClient, TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

describe("cluster: hibernated connections follow their actor", () => {
	it("keeps routing when the owner changes while connections hibernate", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 1_000, heartbeatMs: 250 });
		const clients: ClusterClient[] = [];
		try {
			for (let i = 0; i < 3; i++) await cluster.start();
			const [holder, other, third] = [...cluster.nodes.keys()] as [string, string, string];
			for (const id of [holder, other, third]) clients.push(cluster.client(id));
			const [viaHolder, viaOther, viaThird] = clients as [
				ClusterClient,
				ClusterClient,
				ClusterClient,
			];
			// Connected through `holder`, which creates the actor and holds the socket.
			const conn = viaHolder.lounge.getOrCreate("room", { params: { name: "ann" } }).connect();
			const heard: { text: string; node: string }[] = [];
			conn.on("said", (event) => heard.push(event));
			const statuses: string[] = [];
			conn.onStatusChange((status) => statuses.push(status));
			expect(await conn.say("one")).toMatchObject({ count: 1, node: holder });
			// The actor sleeps on `holder`; the socket stays open there.
			await untilLeasesReleased(cluster.schema);
			// An HTTP call through `other` wakes the actor there.
			expect(
				await viaOther.lounge
					.getOrCreate("room", { params: { name: "http" } })
					.announce("from other"),
			).toBe(other);
			// Its event reached the hibernated connection, through a link from `holder`.
			await expect.poll(() => heard.map((e) => e.text)).toContain("from other");
			// The connection's own messages go to the actor where it is now, with its conn state.
			expect(await conn.say("two")).toEqual({ count: 2, node: other, online: 1 });
			// It sleeps on `other`: the link ends, `holder` keeps the socket.
			await untilLeasesReleased(cluster.schema);
			// Woken on a third node by another call, then the connection speaks again.
			expect(
				await viaThird.lounge
					.getOrCreate("room", { params: { name: "http" } })
					.announce("from third"),
			).toBe(third);
			await expect.poll(() => heard.map((e) => e.text)).toContain("from third");
			expect(await conn.say("three")).toEqual({ count: 3, node: third, online: 1 });
			// Asleep again; this time the message itself wakes it (on the holder, whose lease is free).
			await untilLeasesReleased(cluster.schema);
			const last = await conn.say("four");
			expect(last.count).toBe(4);
			// The client never saw its socket close: connected once, never anything else.
			expect(statuses).toEqual(["connected"]);
			const state = await viaOther.lounge.getOrCreate("room", { params: { name: "http" } }).read();
			expect(state.said).toEqual(["one", "two", "three", "four"]);
			await conn.dispose();
		} finally {
			for (const client of clients) await client.dispose();
			await cluster.stop();
		}
	}, 120_000);
});
