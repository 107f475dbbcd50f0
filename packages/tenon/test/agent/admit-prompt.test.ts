// Prompt limits under concurrency (a review, 2026-11-24): a burst of prompts
// on one conversation must not all pass its limits before one of them is
// counted, with or without an `admitPrompt` hook that awaits.
import { describe, expect, it } from "vitest";
import { agentActor, type ChatModel } from "../../src/agent/index.js";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

/** A model that answers every turn with one word. */
const model: ChatModel = {
	async *stream() {
		yield { type: "text", delta: "ok" };
		yield { type: "done", finishReason: "stop" };
	},
};

const refusedUsers = new Set(["mallory"]);
const base = {
	model,
	createConnState: (_c: unknown, params: { user: string }) => ({ user: String(params.user) }),
	identify: (conn: { state: { user: string } }) => ({ id: conn.state.user }),
	rateLimit: { prompts: 5, windowMs: 60_000 },
	maxQueuedPrompts: 50,
};
const registry = setup({
	use: {
		plain: agentActor(base),
		tight: agentActor({ ...base, rateLimit: false, maxQueuedPrompts: 3 }),
		gated: agentActor({
			...base,
			admitPrompt: async (_c, requester) => {
				await new Promise((resolve) => setTimeout(resolve, 5));
				if (refusedUsers.has(requester.id)) throw new Error("quota used up");
			},
		}),
	},
	logLevel: "silent",
});

describe("admitting prompts", () => {
	it("counts a burst of prompts against the limit, and refused ones not at all", async () => {
		await using t = await setupTest(registry);
		for (const name of ["plain", "gated"] as const) {
			const conn = t.client[name]
				.getOrCreate(`burst-${name}`, { params: { user: "ann" } })
				.connect();
			const outcomes = await Promise.allSettled(
				Array.from({ length: 25 }, (_, i) => conn.prompt(`hello ${i}`)),
			);
			expect(outcomes.filter((outcome) => outcome.status === "fulfilled").length).toBe(5);
			await conn.dispose();
		}
		// Prompts the hook refuses use none of the conversation's share.
		const shared = t.client.gated.getOrCreate("shared", { params: { user: "mallory" } }).connect();
		for (let i = 0; i < 8; i++) await expect(shared.prompt("hi")).rejects.toThrow();
		refusedUsers.delete("mallory");
		const outcomes = await Promise.allSettled(
			Array.from({ length: 8 }, () => shared.prompt("hi again")),
		);
		expect(outcomes.filter((outcome) => outcome.status === "fulfilled").length).toBe(5);
		await shared.dispose();
	});

	it("holds a burst to the number of prompts that may wait", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.tight.getOrCreate("burst", { params: { user: "ann" } }).connect();
		const outcomes = await Promise.allSettled(
			Array.from({ length: 20 }, (_, i) => conn.prompt(`hello ${i}`)),
		);
		const refused = outcomes.filter((outcome) => outcome.status === "rejected");
		expect(outcomes.length - refused.length).toBe(3);
		for (const outcome of refused)
			expect((outcome as PromiseRejectedResult).reason).toMatchObject({
				group: "agent",
				code: "busy",
			});
		await conn.dispose();
	});
});
