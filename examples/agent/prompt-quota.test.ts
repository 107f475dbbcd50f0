// The example agents' prompt limits: each conversation limits itself, and a
// user's prompt quota limits them over all their conversations (a user could
// otherwise spread a flood of model calls over as many conversations as they
// open: 200 prompts in 0.6 s in an attacker probe, 2026-11-24).
import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { issueToken } from "../auth/tokens.js";
import { promptQuota, USER_PROMPT_LIMIT } from "./prompt-quota.js";
import { shop } from "./shop.js";
import { supportAgent } from "./support-agent.js";

const registry = setup({ use: { supportAgent, promptQuota, shop }, logLevel: "silent" });
const as = (userId: string) => ({ params: { token: issueToken({ userId, roles: [] }) } });

describe("example agents' prompt limits", () => {
	it("limits a user's prompts over all their conversations, and no one else's", async () => {
		await using t = await setupTest(registry);
		const conversations = [1, 2, 3, 4].map((n) =>
			t.client.supportAgent.getOrCreate(["ann", `c${n}`], as("ann")).connect(),
		);
		// 8 per conversation stays under each one's own limit (10 a minute) and queue (10).
		const started = Date.now();
		const outcomes = await Promise.allSettled(
			conversations.flatMap((conn) => Array.from({ length: 8 }, () => conn.prompt("hello"))),
		);
		const refused = outcomes.filter((outcome) => outcome.status === "rejected");
		// The burst, and one more for each 2 s the prompts took (the quota refills on the real
		// clock: a machine slow enough to take over 2 s lets one more through).
		const regained = Math.floor(
			(Date.now() - started) / (USER_PROMPT_LIMIT.windowMs / USER_PROMPT_LIMIT.prompts),
		);
		expect(outcomes.length - refused.length).toBeGreaterThanOrEqual(USER_PROMPT_LIMIT.prompts);
		expect(outcomes.length - refused.length).toBeLessThanOrEqual(
			USER_PROMPT_LIMIT.prompts + regained,
		);
		for (const outcome of refused)
			expect((outcome as PromiseRejectedResult).reason).toMatchObject({
				group: "user",
				code: "rate_limited",
				// A prompt comes back every 2 s (a bucket, not a window that resets all at once).
				metadata: { retryAfterMs: expect.any(Number) },
			});
		for (const outcome of refused)
			expect((outcome as PromiseRejectedResult).reason.metadata.retryAfterMs).toBeLessThanOrEqual(
				USER_PROMPT_LIMIT.windowMs / USER_PROMPT_LIMIT.prompts,
			);
		// Another user is not affected.
		const bob = t.client.supportAgent.getOrCreate(["bob", "c1"], as("bob")).connect();
		await expect(bob.prompt("hello")).resolves.toMatchObject({ turnId: expect.any(String) });
		// Nobody opens another user's quota or conversation, or a conversation with another key shape.
		await expect(t.client.promptQuota.getOrCreate("ann", as("bob")).take()).rejects.toMatchObject({
			code: "forbidden",
		});
		for (const key of [["ann", "c1"], ["ann"], ["ann", "c1", "x"]])
			await expect(
				t.client.supportAgent
					.getOrCreate(key, as(key[0] === "ann" && key.length === 2 ? "bob" : "ann"))
					.prompt("hi"),
			).rejects.toMatchObject({ code: "forbidden" });
		// Nor does anyone store a conversation under another user's key.
		await expect(t.client.supportAgent.create(["ann", "spam"], as("bob"))).rejects.toMatchObject({
			code: "forbidden",
		});
		for (const conn of [...conversations, bob]) await conn.dispose();
	});
});
