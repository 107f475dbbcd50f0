import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { issueToken } from "../auth/tokens.js";
import {
	inventory,
	MAX_PER_CUSTOMER,
	MAX_PER_ORDER,
	MAX_REFUNDED_KEPT,
	order,
	PRICES,
	payments,
	RESTOCK_MS,
	restock,
	STOCK_LEVEL,
} from "./order-saga.js";

const registry = setup({ use: { order, inventory, payments }, logLevel: "silent" });

const input = { sku: "widget", quantity: 2, card: "tok_visa", address: "1 Main St" } as const;
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

	// An attacker probe (2026-11-27): each order that failed after its charge left a refunded
	// charge in the shared payments actor for good: its state grew with every such order.
	it("keeps at most MAX_REFUNDED_KEPT refunded charges, the newest", async () => {
		await using t = await setupTest(registry);
		const failed = [];
		for (let i = 0; i < MAX_REFUNDED_KEPT + 3; i++) {
			// A customer each: one may create only so many orders (auth/creations.ts).
			const customer = `c${i}`;
			const order = await t.client.order.create([customer, `fails-${i}`], {
				params: { token: issueToken({ userId: customer, roles: [] }) },
				input: { ...input, quantity: 1, address: " " },
			});
			await expect.poll(async () => (await order.get()).status).toBe("cancelled");
			failed.push(order);
		}
		expect((await failed[0]?.receipt())?.charge).toBeNull();
		expect((await failed.at(-1)?.receipt())?.charge).toEqual({ amount: 20, refunded: true });
	}, 60_000);

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
		// Hidden characters in the address, anything but a token's in the card (a probe, 2026-11-28).
		for (const odd of [{ address: "\u202e\u0000\u200b" }, { card: "tok\u0000\u001b[31m" }])
			await expect(
				t.client.order.create(["ann", "o-6"], { ...ann, input: { ...input, ...odd } }),
			).rejects.toMatchObject({ code: "invalid_order" });
	});

	// Two guests took the whole stock for good (an attacker probe, 2026-11-28).
	it("restocks one of each item per period, up to the shop's level", () => {
		const empty = { widget: 0, gadget: 9 };
		expect(restock(empty, 0, RESTOCK_MS - 1)).toEqual({ stock: empty, at: 0 });
		expect(restock(empty, 0, RESTOCK_MS * 3 + 5)).toEqual({
			stock: { widget: 3, gadget: STOCK_LEVEL },
			at: RESTOCK_MS * 3,
		});
		expect(restock(empty, 0, Number.MAX_SAFE_INTEGER).stock).toEqual({
			widget: STOCK_LEVEL,
			gadget: STOCK_LEVEL,
		});
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
		// Only the catalogue's items are ordered (the inventory also looks at own properties only).
		await expect(
			t.client.order.create(["ann", "o-7"], {
				...ann,
				input: { ...input, sku: "constructor" } as never,
			}),
		).rejects.toMatchObject({ code: "invalid_order" });
	});

	// A review (2026-11-26) ordered 10 widgets for 0.01 (the price came from the client) and
	// stored 3 MiB in an extra field of the order (the raw input was stored, not the parsed one).
	it("charges the catalogue's price, whatever the client sends, and stores only an order's fields", async () => {
		await using t = await setupTest(registry);
		for (const extra of [{ amount: 0.01 }, { junk: "x".repeat(1_000) }])
			await expect(
				t.client.order.create(["ann", "cheap"], { ...ann, input: { ...input, ...extra } as never }),
			).rejects.toMatchObject({ code: "invalid_order" });
		const placed = await t.client.order.create(["ann", "o-8"], {
			...ann,
			input: { ...input, sku: "gadget", quantity: 1 },
		});
		await expect.poll(async () => (await placed.get()).status).toBe("shipped");
		expect((await placed.get()).input).toEqual({
			...input,
			sku: "gadget",
			quantity: 1,
			card: "****",
		});
		expect((await placed.get()).amount).toBe(PRICES.gadget);
		expect((await placed.receipt()).charge).toEqual({ amount: PRICES.gadget, refunded: false });
	});

	// The same review emptied the shared stock with one order: nobody else could buy a widget.
	it("caps what one order, and one customer, may take of the shared stock", async () => {
		await using t = await setupTest(registry);
		await expect(
			t.client.order.create(["ann", "all"], {
				...ann,
				input: { ...input, quantity: MAX_PER_ORDER + 1 },
			}),
		).rejects.toMatchObject({ code: "invalid_order" });
		// Orders up to the customer's share go through; the next one is cancelled and takes nothing.
		const place = async (name: string, quantity: number, customer = ann) => {
			const placed = await t.client.order.create([customer === ann ? "ann" : "bob", name], {
				...customer,
				input: { ...input, quantity },
			});
			await expect
				.poll(async () => (await placed.get()).status)
				.not.toMatch(/placed|reserved|paid/);
			return placed.get();
		};
		let left = MAX_PER_CUSTOMER;
		for (let n = 0; left > 0; n++) {
			const quantity = Math.min(MAX_PER_ORDER, left);
			expect((await place(`share-${n}`, quantity)).status).toBe("shipped");
			left -= quantity;
		}
		const over = await place("over", 1);
		expect(over).toMatchObject({ status: "cancelled" });
		expect(over.problem).toContain("at most");
		// Another customer still gets widgets.
		const bob = { params: { token: issueToken({ userId: "bob", roles: [] }) } };
		expect((await place("bobs", 1, bob)).status).toBe("shipped");
	});
});
