// A thrown value's copy under metadata.thrown is bounded like its message: measured by its
// JSON, a Map or a Set (written out as {}) let a thrown value holding 8 MB be journaled
// whole (an attacker probe, 2026-11-28).

import { encode } from "cbor-x";
import { expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { errorInfo } from "../../src/workflow/errors.js";
import { workflow } from "../../src/workflow/index.js";

it("errorInfo keeps a thrown value whose JSON is short but which is huge", () => {
	const big = { code: 1, detail: new Map([["body", "x".repeat(1_000_000)]]) };
	const info = errorInfo(big);
	expect(info.message.length).toBeLessThanOrEqual(2_100);
	// The stored form should be bounded like the message is.
	expect(encode(info).byteLength).toBeLessThan(10_000);
});

const N = 8_000_000;
const wf = actor({
	state: { seen: [] as string[] },
	actions: { read: (c) => c.state },
	run: workflow(async (ctx) => {
		const tried = await ctx.tryStep({
			name: "call",
			maxRetries: 0,
			run: () => {
				// e.g. a library rejecting with { status, headers: Map } carrying a large body
				throw { status: 500, body: new Map([["text", "y".repeat(N)]]) };
			},
		});
		await ctx.step("after", (c) => {
			c.state.seen.push(tried.ok ? "ok" : tried.failure.kind);
		});
	}),
});

it("a step throwing such a value grows the journal by its whole size", async () => {
	await using t = await setupTest(setup({ use: { wf }, logLevel: "silent" }));
	const handle = t.client.wf.getOrCreate("w");
	await handle.read();
	await expect.poll(async () => (await handle.read()).seen.length, { timeout: 20_000 }).toBe(1);
	const history = await t.workflowHistory(handle);
	expect((history as any).journalBytes).toBeLessThan(100_000);
}, 60_000);
