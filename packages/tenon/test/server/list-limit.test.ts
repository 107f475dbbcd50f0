// The admin listing's `limit`: -1 or 1.5 listed one or two actors and gave no cursor, so a
// paging tool stopped early without noticing (an attacker probe, 2026-11-28). Refused now.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const ADMIN = "admin-token-for-this-test";
const item = actor({ state: {}, actions: { ping: () => "pong" } });
const registry = setup({ use: { item }, logLevel: "silent", admin: { token: ADMIN } });

describe("listing actors", () => {
	it("refuses a limit that is not a whole number of at least 1, and pages by the cursor", async () => {
		await using t = await setupTest(registry);
		for (const key of ["a", "b", "c"]) await t.client.item.getOrCreate(key).resolve();
		const list = async (query: string) => {
			const response = await fetch(`${t.url}/actors?name=item&${query}`, {
				headers: { authorization: `Bearer ${ADMIN}` },
			});
			return { status: response.status, body: (await response.json()) as Record<string, unknown> };
		};
		for (const limit of ["-1", "0", "1.5", "abc", "1e2", ""]) {
			expect(await list(`limit=${limit}`)).toMatchObject({
				status: 400,
				body: { group: "request", code: "invalid_query" },
			});
		}
		const first = await list("limit=2");
		expect((first.body.actors as unknown[]).length).toBe(2);
		const cursor = (first.body.pagination as { cursor: string }).cursor;
		const rest = await list(`limit=2&cursor=${cursor}`);
		expect((rest.body.actors as unknown[]).length).toBe(1);
		expect(rest.body.pagination).toBeUndefined();
		expect(((await list("limit=5000")).body.actors as unknown[]).length).toBe(3);
	});
});
