import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { type ClusterClient, TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

describe("cluster: timers of a node that dies", () => {
	it("fire on another node", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 1_000, heartbeatMs: 250 });
		const clients: ClusterClient[] = [];
		try {
			for (let i = 0; i < 3; i++) await cluster.start();
			const [doomed, survivor] = [...cluster.nodes.keys()] as [string, string];
			const viaDoomed = cluster.client(doomed);
			const viaSurvivor = cluster.client(survivor);
			clients.push(viaDoomed, viaSurvivor);
			const keys = Array.from({ length: 5 }, (_, i) => `alarm-${i}`);
			for (const key of keys) {
				expect(await viaDoomed.timers.getOrCreate(key).arm(`${key}:soon`, 1_500)).toBe(doomed);
				await viaDoomed.timers.getOrCreate(key).arm(`${key}:later`, 2_500);
			}
			await cluster.kill(doomed);
			await viaDoomed.dispose();
			// Nobody calls these actors: the surviving nodes find the due alarms themselves.
			await new Promise((resolve) => setTimeout(resolve, 4_500));
			for (const key of keys) {
				const fired = await viaSurvivor.timers.getOrCreate(key).report();
				expect(fired.map((f) => f.tag).sort()).toEqual([`${key}:later`, `${key}:soon`]);
				for (const f of fired) expect(f.node).not.toBe(doomed);
			}
		} finally {
			for (const client of clients) await client.dispose();
			await cluster.stop();
		}
	}, 120_000);
});
