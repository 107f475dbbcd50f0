// A step that threw a UserError with an Error or a URL in its metadata, or
// threw a null-prototype object, left an error the journal could not store
// ("state must be plain data" while journaling the failure), so the workflow
// failed for good however the step's failure was handled (an agent's
// conversation stuck forever, 2026-11-25). What a step throws is now always
// stored: metadata that is not plain data is replaced by a note.
import { describe, expect, it } from "vitest";
import { actor, setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { errorInfo } from "../../src/workflow/errors.js";
import { workflow } from "../../src/workflow/index.js";

const thrownValues: Record<string, () => unknown> = {
	"error-in-metadata": () =>
		new UserError("the upstream refused", { metadata: { upstream: new Error("x") } }),
	"url-in-metadata": () =>
		new UserError("the upstream refused", {
			metadata: { url: new URL("https://api.example/v1") },
		}),
	"null-prototype": () => Object.create(null),
	// Half a surrogate pair (an emoji cut in two) has no UTF-8 form: storage refused the
	// failure's record, and the workflow failed (a review, 2026-11-26).
	"lone-surrogate": () => new Error(`not found: ${"🌍".slice(0, 1)}`),
	"lone-surrogate-string": () => `bad ${"🌍".slice(1)}`,
};

const thrower = actor({
	state: { failures: [] as string[], done: false },
	actions: { status: (c) => c.state },
	run: workflow(async (ctx) => {
		for (const [name, make] of Object.entries(thrownValues)) {
			const outcome = await ctx.tryStep({
				name,
				maxRetries: 0,
				run: () => {
					throw make();
				},
			});
			await ctx.step(`record-${name}`, (c) => {
				c.state.failures.push(outcome.ok ? "ok" : outcome.failure.error.message);
			});
		}
		await ctx.step("done", (c) => {
			c.state.done = true;
		});
	}),
});

describe("a step throwing what is not plain data", () => {
	it("fails as data the journal stores, and the workflow goes on", async () => {
		await using t = await setupTest(setup({ use: { thrower }, logLevel: "silent" }));
		const handle = t.client.thrower.getOrCreate("a");
		await expect.poll(async () => (await handle.status()).done, { timeout: 5_000 }).toBe(true);
		expect((await handle.status()).failures).toEqual([
			"the upstream refused",
			"the upstream refused",
			// Written out as JSON since 2026-11-28 (it was "cannot be written out").
			"{}",
			"not found: \uFFFD",
			"bad \uFFFD",
		]);
		await t.settle();
		const history = await t.workflowHistory(handle);
		expect(history.status).toBe("completed");
		const stored = history.entries.find((entry) => entry.name === "url-in-metadata");
		expect(stored?.error?.metadata).toEqual({
			group: "user",
			code: "user_error",
			metadata: "[not stored: metadata.url is a URL instance]",
		});
	});

	it("errorInfo never throws, and keeps plain metadata as it is", () => {
		const revoked = Proxy.revocable({}, {});
		revoked.revoke();
		expect(errorInfo(revoked.proxy)).toEqual({
			name: "Error",
			message: "a thrown value that cannot be written out",
		});
		const odd = new Error("m");
		Object.defineProperty(odd, "name", { value: { not: "a string" } });
		expect(errorInfo(odd).name).toBe("Error");
		const plain = new UserError("m", { metadata: { n: 1, at: new Date(0) } });
		expect(errorInfo(plain).metadata).toEqual({
			group: "user",
			code: "user_error",
			metadata: { n: 1, at: new Date(0) },
		});
	});
});
