import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { board } from "../board/board.js";
import { chatRoom } from "../chat-room/chat-room.js";
import { CreationQuota, USER_CREATION_LIMIT } from "./creations.js";
import { issueToken } from "./tokens.js";

const registry = setup({ use: { chatRoom, board }, logLevel: "silent" });
const as = (userId: string) => ({ params: { token: issueToken({ userId, roles: [] }) } });

describe("creations per user", () => {
	const limit = { creations: 3, refillMs: 1_000 };

	it("lets a user create a burst, then one per interval; others keep theirs", () => {
		const quota = new CreationQuota(limit);
		for (let i = 0; i < 3; i++) quota.take("eve", 0);
		expect(() => quota.take("eve", 10)).toThrow(
			expect.objectContaining({ code: "rate_limited", metadata: { retryAfterMs: 990 } }),
		);
		quota.take("ann", 10);
		quota.take("eve", 1_000);
		expect(() => quota.take("eve", 1_500)).toThrow(
			expect.objectContaining({ code: "rate_limited" }),
		);
	});

	it("keeps only users whose bucket is not full once it holds many", () => {
		const quota = new CreationQuota(limit);
		for (let i = 0; i < 10_000; i++) quota.take(`user-${i}`, 0);
		expect(quota.size).toBe(10_000);
		// Later, all of them full again: the next new user sweeps them out.
		quota.take("late", 10_000);
		expect(quota.size).toBe(1);
	});

	it("stays bounded when none of its users is full again", () => {
		const quota = new CreationQuota(limit);
		for (let i = 0; i <= 10_050; i++) quota.take(`user-${i}`, 0);
		expect(quota.size).toBe(10_000);
	});
});

// One guest created 300 rooms in 0.9 s, and filled 50 of them within each room's own
// bounds (an attacker probe, 2026-11-28).
it("bounds the rooms and boards one user creates, and leaves others theirs", async () => {
	await using t = await setupTest(registry);
	for (let i = 0; i < USER_CREATION_LIMIT.creations; i++)
		await t.client.chatRoom.create([`eve-${i}`], { ...as("eve"), input: { topic: "spam" } });
	await expect(
		t.client.chatRoom.create(["eve-more"], { ...as("eve"), input: { topic: "spam" } }),
	).rejects.toMatchObject({ group: "user", code: "rate_limited" });
	await expect(t.client.board.create(["eve-board"], as("eve"))).rejects.toMatchObject({
		code: "rate_limited",
	});
	// Nothing was stored for the refused ones; an existing room still opens; others create.
	await expect(t.client.chatRoom.get(["eve-more"]).resolve()).rejects.toMatchObject({
		code: "not_found",
	});
	await expect(t.client.chatRoom.getOrCreate(["eve-0"], as("eve")).resolve()).resolves.toBeTypeOf(
		"string",
	);
	await expect(
		t.client.board.create(["ann-board"], as("ann")).then((b) => b.resolve()),
	).resolves.toBeTypeOf("string");
});
