// A refused caller's creation is undone where the actor woke (node A); a
// REST create answered by another node (B) did not claim it, so its answer
// named an id A destroyed a moment later (a cluster probe, 2026-11-27). A
// REST create that finds the actor awake on another node is now answered
// by that node, where the answer claims it.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { type ClusterNode, TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const json = { "content-type": "application/json" };
const signedIn = { ...json, "x-rivet-conn-params": JSON.stringify({ token: "letmein" }) };

describe("a REST create through another node while a refused caller's creation is undone", () => {
	let cluster: TestCluster;
	let a: ClusterNode;
	let b: ClusterNode;
	beforeEach(async () => {
		cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
		a = await cluster.start();
		b = await cluster.start();
	});
	afterEach(async () => {
		await cluster.stop();
	});

	for (const method of ["PUT", "POST"] as const) {
		it(`${method} /actors keeps the actor it answers about`, async () => {
			const key = `k-${method}`;
			// Refused after 1.5 s, on A, which created and woke the actor for it.
			const refused = fetch(
				`${a.url}/gateway/guarded/action/ping?rvt-method=getOrCreate&rvt-key=${key}`,
				{
					method: "POST",
					headers: { ...json, "x-rivet-conn-params": JSON.stringify({ slowMs: 1_500 }) },
					body: '{"args":[]}',
				},
			);
			// The record exists once the hooks run.
			await expect
				.poll(
					async () =>
						(
							(await (await fetch(`${b.url}/actors?name=guarded&key=${key}`)).json()) as {
								actors: unknown[];
							}
						).actors.length,
					{ timeout: 1_000, interval: 20 },
				)
				.toBe(1);
			const created = await fetch(`${b.url}/actors`, {
				method,
				headers: signedIn,
				body: JSON.stringify({ name: "guarded", key: [key] }),
			});
			const answer = (await created.json()) as { actor?: { actor_id: string }; code?: string };
			expect(created.status).toBe(method === "PUT" ? 200 : 409);
			expect((await refused).status).toBe(400);
			const listed = (await (await fetch(`${b.url}/actors?name=guarded&key=${key}`)).json()) as {
				actors: { actor_id: string }[];
			};
			expect(listed.actors).toHaveLength(1);
			if (method === "PUT") expect(listed.actors[0]?.actor_id).toBe(answer.actor?.actor_id);
			const pinged = await fetch(`${b.url}/gateway/${listed.actors[0]?.actor_id}/action/ping`, {
				method: "POST",
				headers: signedIn,
				body: '{"args":[]}',
			});
			expect([pinged.status, await pinged.json()]).toEqual([200, { output: 1 }]);
		});
	}
});
