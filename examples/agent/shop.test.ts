import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { issueToken } from "../auth/tokens.js";
import { shop } from "./shop.js";

const registry = setup({ use: { shop }, logLevel: "silent" });
const as = (userId: string) => ({ params: { token: issueToken({ userId, roles: [] }) } });

describe("demo shop example", () => {
	// A review (2026-11-26) stored shops with no token at all through `POST /actors`:
	// only the connect hook checked one, and a creation opens no connection.
	it("stores a customer's shop only for that customer, keyed by their id alone", async () => {
		await using t = await setupTest(registry);
		await expect(t.client.shop.create(["ann"])).rejects.toMatchObject({ code: "unauthorized" });
		await expect(t.client.shop.create(["ann"], as("bob"))).rejects.toMatchObject({
			code: "forbidden",
		});
		await expect(t.client.shop.create(["ann", "extra"], as("ann"))).rejects.toMatchObject({
			code: "forbidden",
		});
		for (const key of [["ann"], ["ann", "extra"]])
			await expect(t.client.shop.get(key).resolve()).rejects.toMatchObject({
				code: "not_found",
			});
		const mine = await t.client.shop.create(["ann"], as("ann"));
		expect((await mine.orders()).map((order) => order.id)).toEqual(["A-1001", "A-1002", "A-1003"]);
		await expect(t.client.shop.get(["ann"], as("bob")).orders()).rejects.toMatchObject({
			code: "forbidden",
		});
		// A key with more parts is no one's shop, not even its first part's.
		await expect(
			t.client.shop.getOrCreate(["ann", "extra"], as("ann")).orders(),
		).rejects.toMatchObject({ code: "forbidden" });
		// Refunds only through the agent (which asks the customer first), not by the customer's
		// own call, over HTTP or a connection.
		await expect(mine.refund("A-1001")).rejects.toMatchObject({ code: "forbidden" });
		const conn = t.client.shop.get(["ann"], as("ann")).connect();
		await expect(conn.refund("A-1001")).rejects.toMatchObject({ code: "forbidden" });
		await conn.dispose();
		expect((await mine.orders()).every((order) => order.status !== "refunded")).toBe(true);
	});
});
