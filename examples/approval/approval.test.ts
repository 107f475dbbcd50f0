import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { DECISION_TIMEOUT_MS, expense } from "./approval.js";

const registry = setup({ use: { expense }, logLevel: "silent" });

describe("approval flow example", () => {
	it("waits for a decision across a restart and answers the approver", async () => {
		await using t = await setupTest(registry);
		const request = await t.client.expense.create(["e-1"], {
			input: { requester: "ann", amount: 450, reason: "conference" },
		});
		expect((await request.get()).status).toBe("awaiting_approval");
		await t.restart();
		const reply = await request.send(
			"decisions",
			{ approved: true, by: "boss", note: "enjoy" },
			{ wait: true, timeout: 5_000 },
		);
		expect(reply).toEqual({ status: "completed", response: { status: "approved" } });
		expect(await request.get()).toMatchObject({
			status: "approved",
			decidedBy: "boss",
			note: "enjoy",
		});
	});

	it("expires after three days without a decision, even while asleep", async () => {
		await using t = await setupTest(registry);
		const request = await t.client.expense.create(["e-2"], {
			input: { requester: "bo", amount: 900, reason: "laptop" },
		});
		await request.get();
		await t.clock.advance(60_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await t.clock.advance(DECISION_TIMEOUT_MS);
		await expect.poll(async () => (await request.get()).status).toBe("expired");
	});

	it("approves small amounts by policy", async () => {
		await using t = await setupTest(registry);
		const request = await t.client.expense.create(["e-3"], {
			input: { requester: "cy", amount: 20, reason: "lunch" },
		});
		await expect.poll(async () => (await request.get()).status).toBe("approved");
		expect((await request.get()).decidedBy).toBe("policy");
	});
});
