import { describe, expect, it } from "vitest";
import {
	type CommitItem,
	OwnedElsewhereError,
	type StorageDriver,
	type StorageHandles,
} from "../../storage/interfaces.js";
import { b, testActorId } from "./harness.js";

/** Lease settings a cluster driver accepts. */
export interface PlacementTestCluster {
	nodeId?: string;
	leaseTtlMs?: number;
	heartbeatMs?: number;
}

/** How the placement suite gets drivers: `reuse` opens the same storage as the previous one. */
export interface PlacementConformanceTarget {
	createDriver(options: { reuse: boolean; cluster: PlacementTestCluster }): Promise<StorageDriver>;
	cleanup?(): Promise<void>;
}

function put(actorId: string, fence: number, value: string): CommitItem {
	return { actorId, fence, puts: [[b("k"), b(value)]], deletes: [] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two nodes on the same storage. */
async function twoNodes(
	target: PlacementConformanceTarget,
	a: PlacementTestCluster,
	bOptions: PlacementTestCluster,
): Promise<[StorageHandles, StorageHandles]> {
	const first = await (await target.createDriver({ reuse: false, cluster: a })).open();
	const second = await (await target.createDriver({ reuse: true, cluster: bOptions })).open();
	return [first, second];
}

async function closeAll(target: PlacementConformanceTarget, ...handles: StorageHandles[]) {
	for (const h of handles) await h.close();
	await target.cleanup?.();
}

/**
 * Conformance suite for cluster placement (leases with epochs). Every
 * cluster driver runs it; single-node drivers use a boot fence instead.
 */
export function describePlacementConformance(
	driverName: string,
	target: PlacementConformanceTarget,
): void {
	describe(`Placement (leases) conformance: ${driverName}`, () => {
		it("hands out growing epochs and fences commits made with an older one", async () => {
			const [a, other] = await twoNodes(target, { nodeId: "a" }, { nodeId: "b" });
			try {
				const id = testActorId();
				const first = await a.placement.acquire(id);
				expect((await a.store.commit([put(id, first, "1")]))[0]).toEqual({ ok: true });
				const second = await a.placement.acquire(id);
				expect(second).toBeGreaterThan(first);
				const [stale] = await a.store.commit([put(id, first, "stale")]);
				expect(stale).toMatchObject({ ok: false, reason: "fenced" });
				expect((await a.store.commit([put(id, second, "2")]))[0]).toEqual({ ok: true });
			} finally {
				await closeAll(target, a, other);
			}
		});

		it("refuses a live lease to another node, naming the owner; release frees it", async () => {
			const [a, other] = await twoNodes(target, { nodeId: "a" }, { nodeId: "b" });
			try {
				await a.cluster?.join("http://node-a.test:1");
				const id = testActorId();
				const epoch = await a.placement.acquire(id);
				const refused = await other.placement.acquire(id).catch((error: unknown) => error);
				expect(refused).toBeInstanceOf(OwnedElsewhereError);
				expect((refused as OwnedElsewhereError).owner).toEqual({
					nodeId: "a",
					address: "http://node-a.test:1",
				});
				await a.placement.release(id);
				const taken = await other.placement.acquire(id);
				expect(taken).toBeGreaterThan(epoch);
				// The former owner can no longer write.
				expect((await a.store.commit([put(id, epoch, "late")]))[0]).toMatchObject({
					ok: false,
					reason: "fenced",
				});
				expect((await other.store.commit([put(id, taken, "new")]))[0]).toEqual({ ok: true });
			} finally {
				await closeAll(target, a, other);
			}
		});

		it("lets another node take an expired lease; the old owner's writes are fenced", async () => {
			const [a, other] = await twoNodes(
				target,
				{ nodeId: "a", leaseTtlMs: 300 },
				{ nodeId: "b", leaseTtlMs: 300 },
			);
			try {
				const id = testActorId();
				const epoch = await a.placement.acquire(id); // never renewed: a did not join
				await expect(other.placement.acquire(id)).rejects.toBeInstanceOf(OwnedElsewhereError);
				await sleep(400);
				const taken = await other.placement.acquire(id);
				expect(taken).toBeGreaterThan(epoch);
				expect((await a.store.commit([put(id, epoch, "paused owner")]))[0]).toMatchObject({
					ok: false,
				});
			} finally {
				await closeAll(target, a, other);
			}
		});

		it("renews held leases by heartbeat, and reports the ones it lost", async () => {
			const [a, other] = await twoNodes(
				target,
				{ nodeId: "a", leaseTtlMs: 300, heartbeatMs: 50 },
				{ nodeId: "b", leaseTtlMs: 300, heartbeatMs: 50 },
			);
			try {
				await a.cluster?.join("http://node-a.test:1");
				const kept = testActorId();
				const lost = testActorId();
				await a.placement.acquire(kept);
				await a.placement.acquire(lost);
				await sleep(500);
				// Renewed: still a's.
				await expect(other.placement.acquire(kept)).rejects.toBeInstanceOf(OwnedElsewhereError);
				// a pauses (stops renewing); b takes one lease over; a comes back.
				const reported: string[] = [];
				a.cluster?.onLeasesLost((ids) => reported.push(...ids));
				await a.cluster?.leave();
				await sleep(400);
				await other.placement.acquire(lost);
				await a.placement.acquire(kept); // a's own expired lease: it may take it back
				await a.cluster?.join("http://node-a.test:1");
				await sleep(200);
				expect(reported).toEqual([lost]);
			} finally {
				await closeAll(target, a, other);
			}
		});
	});
}
