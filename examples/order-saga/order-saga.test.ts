import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { issueToken } from "../auth/tokens.js";
import { inventory, order, payments } from "./order-saga.js";

const registry = setup({ use: { order, inventory, payments }, logLevel: "silent" });

const input = { sku: "widget", quantity: 2, amount: 40, card: "tok_visa", address: "1 Main St" };
const ann = { params: { token: issueToken({ userId: "ann", roles: [] }) } };

describe("order saga example", () => {
	it("reserves, charges and ships an order", async () => {
		await using t = await setupTest(registry);
		const placed = await t.client.order.create(["ann", "o-1"], {
			...ann,
			input,
		});
		const events: string[] = [];
		const conn = placed.connect();
		conn.on("status", (status) => events.push(status));
		await expect.poll(async () => (await placed.get()).status).toBe("shipped");
		expect((await placed.get()).trackingNumber).toMatch(/^TRK-[0-9A-Z]{16}$/);
		expect((await placed.get()).input.card).toBe("****");
		expect(await placed.receipt()).toEqual({
			stockLeft: 8,
			charge: { amount: 40, refunded: false },
		});
		await conn.dispose();
	});

	it("compensates newest first when shipping fails: refund, then release", async () => {
		await using t = await setupTest(registry);
		const failing = await t.client.order.create(["ann", "o-2"], {
			...ann,
			input: { ...input, address: " " },
		});
		await expect.poll(async () => (await failing.get()).status).toBe("cancelled");
		expect((await failing.get()).problem).toContain("no delivery address");
		expect(await failing.receipt()).toEqual({
			stockLeft: 10,
			charge: { amount: 40, refunded: true },
		});
		await t.settle();
		const history = await t.workflowHistory(failing);
		expect(history.status).toBe("failed");
		expect(history.entries.filter((e) => e.rolledBackAt).map((e) => e.name)).toEqual([
			"reserve",
			"charge",
		]);
	});

	it("a declined card is not retried; only the reservation is released", async () => {
		await using t = await setupTest(registry);
		const declined = await t.client.order.create(["ann", "o-3"], {
			...ann,
			input: { ...input, card: "declined" },
		});
		await expect.poll(async () => (await declined.get()).status).toBe("cancelled");
		expect(await declined.receipt()).toEqual({ stockLeft: 10, charge: null });
		await t.settle();
		const charge = (await t.workflowHistory(declined)).entries.find((e) => e.name === "charge");
		expect(charge).toMatchObject({ status: "failed", failure: "critical", attempts: 1 });
	});

	it("keeps the services internal, and refuses malformed orders before storing them", async () => {
		await using t = await setupTest(registry);
		await expect(t.client.inventory.getOrCreate("main").stock("widget")).rejects.toMatchObject({
			code: "forbidden",
		});
		await expect(
			t.client.payments.getOrCreate("main").charge("o-x", 1_000_000, "visa"),
		).rejects.toMatchObject({ code: "forbidden" });
		await expect(
			t.client.order.create(["ann", "o-4"], {
				...ann,
				input: { ...input, quantity: -5 },
			}),
		).rejects.toMatchObject({ code: "invalid_order" });
		await expect(
			t.client.order.create(["ann", "o-5"], {
				...ann,
				input: { ...input, sku: 42 } as never,
			}),
		).rejects.toMatchObject({ code: "invalid_order" });
	});

	it("belongs to its customer, and built-in property names are not stock", async () => {
		await using t = await setupTest(registry);
		const mallory = { params: { token: issueToken({ userId: "mallory", roles: [] }) } };
		await expect(
			t.client.order.create(["ann", "o-6"], { ...mallory, input }),
		).rejects.toMatchObject({ code: "forbidden" });
		await expect(t.client.order.create(["ann", "o-6"], { input })).rejects.toMatchObject({
			code: "unauthorized",
		});
		const mine = await t.client.order.create(["ann", "o-6"], { ...ann, input });
		await expect(
			t.client.order.getForId(await mine.resolve(), mallory).get(),
		).rejects.toMatchObject({ code: "forbidden" });
		const phantom = await t.client.order.create(["ann", "o-7"], {
			...ann,
			input: { ...input, sku: "constructor" },
		});
		await expect.poll(async () => (await phantom.get()).status).toBe("cancelled");
		expect((await phantom.get()).problem).toContain("only 0 constructor left");
	});
});
