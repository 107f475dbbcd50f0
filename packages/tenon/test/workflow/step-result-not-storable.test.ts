// A step whose result cannot be stored (a class instance) fails as the step, not as the
// workflow: the docs say it "fails the step at once (state/not_serializable)", but the
// journal's own check threw past tryStep and try/catch and failed the whole workflow, with
// no entry for the step (a walkthrough as a Temporal user, 2026-11-28).
import { expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";

class Money {
	constructor(readonly cents: number) {}
}

const priced = actor({
	state: { seen: [] as string[], attempts: 0 },
	actions: { read: (c) => c.state },
	run: workflow(async (ctx) => {
		const tried = await ctx.tryStep({
			name: "price",
			maxRetries: 3,
			run: (c) => {
				c.state.attempts++;
				return new Money(5);
			},
		});
		await ctx.step("after-try", (c) => {
			c.state.seen.push(
				tried.ok ? "ok" : `${tried.failure.kind} ${String(tried.failure.error.metadata?.code)}`,
			);
		});
		try {
			await ctx.step("price-again", () => new Money(5));
		} catch (error) {
			await ctx.step("after-catch", (c) => {
				c.state.seen.push(`caught ${(error as Error).name}`);
			});
		}
	}),
});

it("fails the step (once, critical), which tryStep returns and a try/catch catches", async () => {
	await using t = await setupTest(setup({ use: { priced }, logLevel: "silent" }));
	const handle = t.client.priced.getOrCreate("p");
	await handle.read();
	await expect.poll(async () => (await handle.read()).seen.length).toBe(2);
	expect(await handle.read()).toEqual({
		seen: ["critical not_serializable", "caught StepFailedError"],
		attempts: 1,
	});
	const history = await t.workflowHistory(handle);
	expect(history.status).toBe("completed");
	expect(history.entries.map((entry) => `${entry.name}:${entry.status}`)).toEqual([
		"price:failed",
		"after-try:completed",
		"price-again:failed",
		"after-catch:completed",
	]);
});
