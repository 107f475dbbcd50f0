// Operator routes that change one actor, entered at a node that does not own
// it (a review, 2026-11-26): `DELETE /actors/{id}` and the inspector's edits
// failed with 500 core/internal_error (the owner's lease refused this node,
// and nothing caught it). They are forwarded to the owner, as actions are.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { type ClusterNode, TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const ADMIN = "operator-routes-admin-token-0123456789";
const auth = { authorization: `Bearer ${ADMIN}` };

describe("operator routes through a node that does not own the actor", () => {
	let cluster: TestCluster;
	let owner: ClusterNode;
	let entry: ClusterNode;
	beforeEach(async () => {
		cluster = new TestCluster({
			leaseTtlMs: 10_000,
			heartbeatMs: 1_000,
			env: { TENON_ADMIN_TOKEN: ADMIN },
		});
		owner = await cluster.start();
		entry = await cluster.start();
	});
	afterEach(async () => {
		await cluster.stop();
	});

	/** Wakes tally `key` on the owner; its actor id. */
	async function awakeOnOwner(key: string): Promise<string> {
		const added = await fetch(
			`${owner.url}/gateway/tally/action/add?rvt-method=getOrCreate&rvt-key=${key}`,
			{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":["x"]}' },
		);
		expect(((await added.json()) as { output: { node: string } }).output.node).toBe(owner.id);
		const found = (await (await fetch(`${entry.url}/actors?name=tally&key=${key}`)).json()) as {
			actors: { actor_id: string }[];
		};
		return found.actors[0]?.actor_id as string;
	}

	it("DELETE /actors/{id} destroys it", async () => {
		const actorId = await awakeOnOwner("doomed");
		const destroyed = await fetch(`${entry.url}/actors/${actorId}`, {
			method: "DELETE",
			headers: auth,
		});
		expect([destroyed.status, await destroyed.text()]).toEqual([200, "{}"]);
		const after = (await (await fetch(`${entry.url}/actors?name=tally&key=doomed`)).json()) as {
			actors: unknown[];
		};
		expect(after.actors).toEqual([]);
	});

	it("the inspector's state edit lands on the owner", async () => {
		const actorId = await awakeOnOwner("edited");
		const edited = await fetch(`${entry.url}/inspector/actors/${actorId}/state`, {
			method: "PUT",
			headers: { ...auth, "content-type": "application/json" },
			body: JSON.stringify({ state: { count: 41, applied: [] } }),
		});
		expect(edited.status).toBe(200);
		const read = await fetch(
			`${owner.url}/gateway/tally/action/read?rvt-method=get&rvt-key=edited`,
			{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":[]}' },
		);
		expect(((await read.json()) as { output: { count: number; node: string } }).output).toEqual({
			count: 41,
			applied: [],
			node: owner.id,
		});
	});
});
