// The inspector's one-shot reads are bounded by bytes read: `GET .../state`
// decoded and sent a 200 MB state whole (2.7 to 3 s of the loop each), and a
// KV page read every value whole for its 4 KiB preview (up to 1,000 values of
// 128 KiB); eight loops of the read-only token slowed every other client to
// 1.3 s (an attacker probe, 2026-11-28).
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { INSPECTOR_MAX_STATE_BYTES, KV_PAGE_MAX_BYTES } from "../../src/runtime/actor-inspector.js";
import { setupTest } from "../../src/test/index.js";
import { call, INSPECTOR_TOKEN } from "./fixture.js";

const hoard = actor({
	state: { blob: "", count: 0 },
	actions: {
		grow: (c, bytes: number) => {
			c.state.blob = "x".repeat(bytes);
			return c.state.blob.length;
		},
		count: (c) => ++c.state.count,
		stash: async (c, prefix: string, count: number, bytes: number) => {
			for (let i = 0; i < count; i++)
				await c.kv.put(`${prefix}${String(i).padStart(4, "0")}`, "v".repeat(bytes));
			return count;
		},
	},
});
const registry = setup({
	use: { hoard },
	inspector: { token: INSPECTOR_TOKEN },
	logLevel: "silent",
});
const reader = { authorization: `Bearer ${INSPECTOR_TOKEN}` };
const MiB = 1024 * 1024;

describe("the inspector's one-shot reads", () => {
	it("refuses a state stored larger than its bound, before decoding it, and shows smaller ones", async () => {
		await using t = await setupTest(registry);
		const big = t.client.hoard.getOrCreate("big");
		await big.grow(INSPECTOR_MAX_STATE_BYTES + MiB);
		const id = await big.resolve();
		const started = performance.now();
		const refused = await call(`${t.url}/inspector/actors/${id}/state`, { headers: reader });
		expect(refused.status).toBe(400);
		expect(refused.body).toMatchObject({
			group: "inspector",
			code: "state_too_large",
			metadata: { limit: INSPECTOR_MAX_STATE_BYTES },
		});
		expect((refused.body.metadata as { size: number }).size).toBeGreaterThan(
			INSPECTOR_MAX_STATE_BYTES,
		);
		expect(performance.now() - started).toBeLessThan(1_500);
		// Smaller again: shown.
		await big.grow(10);
		const shown = await call(`${t.url}/inspector/actors/${id}/state`, { headers: reader });
		expect(shown.body).toMatchObject({ initialized: true, state: { blob: "xxxxxxxxxx" } });
		expect(await big.count()).toBe(1);
	}, 60_000);

	it("stops a KV page once it read its bound of values, and says so", async () => {
		await using t = await setupTest(registry);
		const kv = t.client.hoard.getOrCreate("kv");
		// 200 values of 128 KiB: 25 MiB, over the page's 16 MiB.
		for (let batch = 0; batch < 4; batch++) await kv.stash(`big:${batch}:`, 50, 128 * 1024);
		await kv.stash("small:", 3, 10);
		await kv.stash("smalm", 1, 10);
		const id = await kv.resolve();
		const page = await call(`${t.url}/inspector/actors/${id}/kv?prefix=big:&limit=1000`, {
			headers: reader,
		});
		const entries = page.body.entries as { key: string; size: number; truncated?: true }[];
		expect(page.body.partial).toBe(true);
		expect(entries.length).toBeGreaterThan(0);
		expect(entries.length).toBeLessThan(200);
		expect(entries.length * 128 * 1024).toBeLessThanOrEqual(KV_PAGE_MAX_BYTES + 32 * 128 * 1024);
		expect(entries[0]).toMatchObject({ key: "big:0:0000", size: 128 * 1024, truncated: true });
		// A prefix lists its keys only, in order, whole.
		const small = await call(`${t.url}/inspector/actors/${id}/kv?prefix=small:`, {
			headers: reader,
		});
		expect(small.body.partial).toBeUndefined();
		expect((small.body.entries as { key: string }[]).map((entry) => entry.key)).toEqual([
			"small:0000",
			"small:0001",
			"small:0002",
		]);
		// A limit cuts the page without calling it partial.
		const two = await call(`${t.url}/inspector/actors/${id}/kv?prefix=sma&limit=2`, {
			headers: reader,
		});
		expect((two.body.entries as unknown[]).length).toBe(2);
		expect(two.body.partial).toBeUndefined();
	}, 60_000);
});
