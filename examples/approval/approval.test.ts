import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { issueToken } from "../auth/tokens.js";
import { DECISION_TIMEOUT_MS, expense } from "./approval.js";

const registry = setup({ use: { expense }, logLevel: "silent" });

const as = (userId: string, roles: string[] = []) => ({
	params: { token: issueToken({ userId, roles }) },
});

describe("approval flow example", () => {
	it("waits for a decision across a restart and records the approver", async () => {
		await using t = await setupTest(registry);
		const request = await t.client.expense.create(["ann", "e-1"], {
			...as("ann"),
			input: { requester: "ann", amount: 450, reason: "conference" },
		});
		expect((await request.get()).status).toBe("awaiting_approval");
		const id = await request.resolve();
		await t.restart();
		const boss = t.client.expense.getForId(id, as("boss", ["approver"]));
		expect(await boss.decide(true, "enjoy")).toEqual({ status: "submitted" });
		await expect.poll(async () => (await boss.get()).status).toBe("approved");
		expect(await t.client.expense.getForId(id, as("ann")).get()).toMatchObject({
			status: "approved",
			decidedBy: "boss",
			note: "enjoy",
		});
	});

	// A resumed connection kept the roles it was made with: an approver whose role was taken
	// away resumed an old connection and approved (an attacker probe, 2026-11-28).
	it("refuses to resume an approver's connection once the user is no longer one", async () => {
		await using t = await setupTest(registry);
		const request = await t.client.expense.create(["ann", "e-9"], {
			...as("ann"),
			input: { requester: "ann", amount: 900, reason: "laptop" },
		});
		const id = await request.resolve();
		let roles = ["approver"];
		const errors: unknown[] = [];
		const conn = t.client.expense
			.getForId(id, { getParams: async () => ({ token: issueToken({ userId: "boss", roles }) }) })
			.connect();
		conn.onError((error) => errors.push(error));
		expect((await conn.get()).status).toBe("awaiting_approval");
		roles = [];
		await t.restart();
		await expect
			.poll(() => errors.map((error) => (error as { code?: string }).code))
			.toContain("forbidden");
		await expect(conn.decide(true)).rejects.toMatchObject({ group: "user", code: "forbidden" });
		await conn.dispose();
		expect((await t.client.expense.getForId(id, as("ann")).get()).status).toBe("awaiting_approval");
	});

	it("expires after three days without a decision, even while asleep", async () => {
		await using t = await setupTest(registry);
		const request = await t.client.expense.create(["bo", "e-2"], {
			...as("bo"),
			input: { requester: "bo", amount: 900, reason: "laptop" },
		});
		await request.get();
		// The workflow is waiting for a decision (its first step committed first): the actor
		// sleeps once idle for its sleep timeout.
		await t.settle();
		await t.clock.advance(60_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await t.clock.advance(DECISION_TIMEOUT_MS);
		await expect.poll(async () => (await request.get()).status).toBe("expired");
	});

	it("approves small amounts by policy", async () => {
		await using t = await setupTest(registry);
		const request = await t.client.expense.create(["cy", "e-3"], {
			...as("cy"),
			input: { requester: "cy", amount: 20, reason: "lunch" },
		});
		await expect.poll(async () => (await request.get()).status).toBe("approved");
		expect((await request.get()).decidedBy).toBe("policy");
	});

	it("lets only approvers decide, never for themselves, never by sending to the queue", async () => {
		await using t = await setupTest(registry);
		const filed = await t.client.expense.create(["ann", "e-4"], {
			...as("ann", ["approver"]),
			input: { requester: "ann", amount: 5_000, reason: "boat" },
		});
		const id = await filed.resolve();
		const handle = (userId: string, roles: string[] = []) =>
			t.client.expense.getForId(id, as(userId, roles));
		await expect(handle("eve").decide(true)).rejects.toMatchObject({ code: "forbidden" });
		await expect(handle("eve").get()).rejects.toMatchObject({ code: "forbidden" });
		await expect(handle("ann", ["approver"]).decide(true)).rejects.toMatchObject({
			code: "forbidden",
		});
		await expect(
			// @ts-expect-error: an internal queue (refused at run time too)
			handle("eve").send("decisions", { approved: true, by: "boss" }),
		).rejects.toMatchObject({ group: "auth", code: "forbidden" });
		await expect(t.client.expense.getForId(id).get()).rejects.toMatchObject({
			code: "unauthorized",
		});
		expect((await handle("ann").get()).status).toBe("awaiting_approval");
		// Two approvers at once: one decision counts.
		const results = await Promise.allSettled([
			handle("boss", ["approver"]).decide(false, "no"),
			handle("cfo", ["approver"]).decide(true),
		]);
		expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
		await expect.poll(async () => (await handle("ann").get()).submittedBy).not.toBeNull();
	});

	it("refuses requests filed for someone else, under their key, or malformed", async () => {
		await using t = await setupTest(registry);
		await expect(
			t.client.expense.create(["bob", "e-7"], {
				...as("mallory"),
				input: { requester: "mallory", amount: 450, reason: "squat bob's key" },
			}),
		).rejects.toMatchObject({ code: "forbidden" });
		await expect(
			t.client.expense.create(["mallory", "e-5"], {
				...as("mallory"),
				input: { requester: "ann", amount: 450, reason: "x" },
			}),
		).rejects.toMatchObject({ code: "forbidden" });
		await expect(
			t.client.expense.create(["ann", "e-6"], {
				...as("ann"),
				input: { requester: "ann", amount: -1, reason: "x" },
			}),
		).rejects.toMatchObject({ code: "invalid_expense" });
	});

	// A review (2026-11-26) filed a request with 3 MiB in an extra field: the schema was checked,
	// then the raw input (extra fields and all) was stored.
	it("stores only the fields of a request, and refuses one with more", async () => {
		await using t = await setupTest(registry);
		await expect(
			t.client.expense.create(["ann", "e-8"], {
				...as("ann"),
				input: { requester: "ann", amount: 500, reason: "trip", junk: "x".repeat(1_000) } as never,
			}),
		).rejects.toMatchObject({ code: "invalid_expense" });
		await expect(t.client.expense.get(["ann", "e-8"], as("ann")).resolve()).rejects.toMatchObject({
			code: "not_found",
		});
		const filed = await t.client.expense.create(["ann", "e-9"], {
			...as("ann"),
			input: { requester: "ann", amount: 500, reason: "trip" },
		});
		expect((await filed.get()).input).toEqual({ requester: "ann", amount: 500, reason: "trip" });
	});

	// A review (2026-11-26): any signed-in user subscribed to `decided` on another user's request
	// (which they may not read) and learned its outcome.
	it("tells a decision only to the requester and approvers", async () => {
		await using t = await setupTest(registry);
		const filed = await t.client.expense.create(["ann", "raise"], {
			...as("ann"),
			input: { requester: "ann", amount: 5_000, reason: "raise" },
		});
		const id = await filed.resolve();
		const listen = (userId: string, roles: string[] = []) => {
			const conn = t.client.expense.getForId(id, as(userId, roles)).connect();
			const heard: string[] = [];
			const refused: string[] = [];
			conn.on("decided", (status) => heard.push(status));
			conn.onError((error) => refused.push(error.code));
			return { conn, heard, refused };
		};
		const ann = listen("ann");
		const cfo = listen("cfo", ["approver"]);
		const eve = listen("eve");
		for (const { conn } of [ann, cfo, eve])
			await expect.poll(() => conn.connStatus).toBe("connected");
		await expect.poll(() => eve.refused).toEqual(["forbidden"]);
		await t.client.expense.getForId(id, as("boss", ["approver"])).decide(false, "no");
		await expect.poll(() => ann.heard).toEqual(["rejected"]);
		await expect.poll(() => cfo.heard).toEqual(["rejected"]);
		// Eve's reply comes after anything sent to her before it (one socket, in order).
		await expect(eve.conn.get()).rejects.toMatchObject({ code: "forbidden" });
		expect(eve.heard).toEqual([]);
		for (const { conn } of [ann, cfo, eve]) await conn.dispose();
	});
});
