// A getOrCreate that found an actor by its key while an admin destroyed it answered
// `actor/not_found` (an attacker probe, 2026-11-28: 90 of 90 calls racing a destroy whose
// `onDestroy` took 20 ms). Its key is free once the destroy ends: getOrCreate makes a new actor.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const ADMIN = "admin-token-for-this-test";
const slowToGo = actor({
	state: { n: 0 },
	onDestroy: async () => {
		await new Promise((resolve) => setTimeout(resolve, 20));
	},
	actions: { bump: (c) => ++c.state.n },
});
const registry = setup({ use: { slowToGo }, logLevel: "silent", admin: { token: ADMIN } });

describe("a getOrCreate racing a destroy of its actor", () => {
	it("answers from the old actor or a new one, never actor/not_found", async () => {
		await using t = await setupTest(registry);
		for (let round = 0; round < 5; round++) {
			const key = `k${round}`;
			const actorId = await t.client.slowToGo.getOrCreate(key).resolve();
			const destroy = fetch(`${t.url}/actors/${actorId}`, {
				method: "DELETE",
				headers: { authorization: `Bearer ${ADMIN}` },
			});
			const calls = Array.from({ length: 3 }, () =>
				fetch(`${t.url}/gateway/slowToGo/action/bump?rvt-method=getOrCreate&rvt-key=${key}`, {
					method: "POST",
					headers: { "content-type": "application/json" },
					body: '{"args":[]}',
				}).then(async (response) => ({ status: response.status, body: await response.json() })),
			);
			expect((await destroy).status).toBe(200);
			for (const call of await Promise.all(calls)) expect(call).toMatchObject({ status: 200 });
		}
	});
});
