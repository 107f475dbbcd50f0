// `kv.list` took any `limit`: a negative or fractional one gave odd results
// on one driver and `core/internal_error` on PostgreSQL (a review,
// 2026-11-26). It is `kv/invalid_limit` on every driver; 0 lists nothing.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const store = actor({
	state: {},
	actions: {
		fill: async (c) => {
			await c.kv.putBatch([
				["a", "1"],
				["b", "2"],
				["c", "3"],
			]);
		},
		list: async (c, limit: number) => (await c.kv.list("", { limit })).map(([key]) => key),
		listRange: async (c, limit: number) =>
			(await c.kv.listRange("a", "z", { limit })).map(([key]) => key),
		/** Options a client sent, passed on as they came (JSON's null among them). */
		listWith: async (c, options: unknown) => {
			const given = options as Parameters<typeof c.kv.list>[1];
			return [
				(await c.kv.list("", given)).map(([key]) => key),
				(await c.kv.listRange("a", "z", given)).map(([key]) => key),
			];
		},
	},
});
const registry = setup({ use: { store }, logLevel: "silent" });

describe("kv list limits", () => {
	it("a negative, fractional or huge limit is kv/invalid_limit; 0 lists nothing", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.store.getOrCreate("k");
		await handle.fill();
		for (const limit of [-1, 1.5, Number.MAX_VALUE])
			for (const call of [handle.list, handle.listRange])
				await expect(call(limit)).rejects.toMatchObject({ group: "kv", code: "invalid_limit" });
		expect(await handle.list(0)).toEqual([]);
		expect(await handle.list(2)).toEqual(["a", "b"]);
		expect(await handle.listRange(1)).toEqual(["a"]);
	});

	it("null options list as no options (a TypeError, core/internal_error, before 2026-11-27)", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.store.getOrCreate("null-options");
		await handle.fill();
		expect(await handle.listWith(null)).toEqual([
			["a", "b", "c"],
			["a", "b", "c"],
		]);
	});
});
