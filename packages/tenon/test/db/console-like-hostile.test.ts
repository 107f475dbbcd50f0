// The inspector's SQL console (an inspector token, which only reads) runs on
// the SQLite module every actor shares. It had neither the actors' LIKE
// pattern limit nor their stack guard: a pattern of 10,000 `%a` overflowed
// the JavaScript stack inside the module, which left its C stack pointer
// short, and from the fourth such query every actor's SQL failed until the
// process restarted; a pattern matched in one step, which the console's time
// limit cannot interrupt, held the loop 20 s (an audit, 2026-11-27).
import { describe, expect, it } from "vitest";
import { CONSOLE_MAX_LIKE_PATTERN } from "../../src/db/inspect.js";
import { setupTest } from "../../src/test/index.js";
import { call, INSPECTOR_TOKEN, registry } from "../inspector/fixture.js";

const reader = { authorization: `Bearer ${INSPECTOR_TOKEN}` };
const json = { "content-type": "application/json" };

describe("the SQL console and long LIKE patterns", () => {
	it("refuses a pattern past its limit, and every actor's database goes on", async () => {
		await using t = await setupTest(registry);
		const notes = t.client.notes.getOrCreate("console-like");
		await notes.add("before");
		const actorId = await notes.resolve();
		const console = (sql: string) =>
			call(`${t.url}/inspector/actors/${actorId}/db/query`, {
				method: "POST",
				headers: { ...reader, ...json },
				body: JSON.stringify({ sql }),
			});
		const overflowing =
			"SELECT printf('%.*c', 30000, 'a') LIKE (replace(printf('%.*c', 20000, 'x'), 'x', '%a') || 'b')";
		for (let i = 0; i < 6; i++) {
			const answer = await console(overflowing);
			expect(answer.body).toMatchObject({ group: "inspector", code: "sql_error" });
			expect(answer.body.message).toMatch(/pattern too complex/);
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		// Up to the limit, a pattern is matched.
		const fits = `SELECT 'ab' LIKE '${"%".repeat(CONSOLE_MAX_LIKE_PATTERN - 2)}ab' AS hit`;
		expect((await console(fits)).body).toMatchObject({ rows: [[1]] });
		// Every actor's SQL still works, and so does the console.
		const other = t.client.notes.getOrCreate("console-like-other");
		expect(await other.add("x")).toBe(1);
		expect(await notes.add("after")).toBe(2);
		expect((await console("SELECT count(*) FROM notes")).body).toMatchObject({ rows: [[2]] });
	}, 30_000);
});
