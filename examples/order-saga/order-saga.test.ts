import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { inventory, order, payments } from "./order-saga.js";

const registry = setup({ use: { order, inventory, payments }, logLevel: "silent" });

const input = { sku: "widget", quantity: 2, amount: 40, card: "visa", address: "1 Main St" };

describe("order saga example", () => {
	it("reserves, charges and ships an order", async () => {
		await using t = await setupTest(registry);
		const placed = await t.client.order.create(["o-1"], { input });
		const events: string[] = [];
		const conn = placed.connect();
		conn.on("status", (status) => events.push(status));
		await expect.poll(async () => (await placed.get()).status).toBe("shipped");
		expect((await placed.get()).trackingNumber).toBe("TRK-O-1");
		const store = t.client.inventory.getOrCreate("main");
		expect(await store.stock("widget")).toBe(8);
		expect(await t.client.payments.getOrCreate("main").chargeFor("o-1")).toEqual({
			amount: 40,
			refunded: false,
		});
		await conn.dispose();
	});

	it("compensates newest first when shipping fails: refund, then release", async () => {
		await using t = await setupTest(registry);
		const failing = await t.client.order.create(["o-2"], { input: { ...input, address: " " } });
		await expect.poll(async () => (await failing.get()).status).toBe("cancelled");
		expect((await failing.get()).problem).toContain("no delivery address");
		expect(await t.client.inventory.getOrCreate("main").stock("widget")).toBe(10);
		expect(await t.client.payments.getOrCreate("main").chargeFor("o-2")).toEqual({
			amount: 40,
			refunded: true,
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
		const declined = await t.client.order.create(["o-3"], {
			input: { ...input, card: "declined" },
		});
		await expect.poll(async () => (await declined.get()).status).toBe("cancelled");
		expect(await t.client.inventory.getOrCreate("main").stock("widget")).toBe(10);
		expect(await t.client.payments.getOrCreate("main").chargeFor("o-3")).toBeNull();
		await t.settle();
		const charge = (await t.workflowHistory(declined)).entries.find((e) => e.name === "charge");
		expect(charge).toMatchObject({ status: "failed", failure: "critical", attempts: 1 });
	});
});
