// The inspector's SQL console (an inspector token, which only reads) runs
// SQL on the one SQLite every actor of the process shares. Pragmas that set
// process-wide settings were refused by a pattern over the SQL text, which a
// quoted name passed: `PRAGMA 'hard_heap_limit' = 1` and `PRAGMA
// temp.'soft_heap_limit' = 1` set them for every actor (a review, 2026-11-26;
// the WebAssembly build keeps no memory statistics, so the heap limits took
// no effect there, but a build that keeps them fails every allocation past
// the limit). They are refused by an authorizer now, however spelt.
import { describe, expect, it } from "vitest";
import { setupTest } from "../../src/test/index.js";
import { call, INSPECTOR_TOKEN, registry } from "../inspector/fixture.js";

const reader = { authorization: `Bearer ${INSPECTOR_TOKEN}` };
const json = { "content-type": "application/json" };

describe("the SQL console and process-wide pragmas", () => {
	it("refuses them however the name is spelt, and every actor's database goes on", async () => {
		await using t = await setupTest(registry);
		const notes = t.client.notes.getOrCreate("console-pragmas");
		await notes.add("before");
		const actorId = await notes.resolve();
		for (const sql of [
			"PRAGMA 'hard_heap_limit' = 1",
			"PRAGMA 'soft_heap_limit' = 1",
			"PRAGMA temp.'hard_heap_limit' = 1",
			'PRAGMA "main"."hard_heap_limit" = 1',
			"PRAGMA [hard_heap_limit] = 1",
			"PRAGMA `HARD_HEAP_LIMIT` = 1",
			"PRAGMA 'threads' = 8",
		]) {
			const answer = await call(`${t.url}/inspector/actors/${actorId}/db/query`, {
				method: "POST",
				headers: { ...reader, ...json },
				body: JSON.stringify({ sql }),
			});
			expect(answer.body, sql).toMatchObject({ group: "inspector", code: "read_only" });
			// The console's loop budget: queries one after another, not all at once.
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		// Still the console: reads go on.
		const read = await call(`${t.url}/inspector/actors/${actorId}/db/query`, {
			method: "POST",
			headers: { ...reader, ...json },
			body: JSON.stringify({ sql: "SELECT count(*) AS n FROM notes" }),
		});
		expect(read.body).toMatchObject({ columns: ["n"], rows: [[1]] });
		// Another actor's database, and this one's, still work.
		const other = t.client.notes.getOrCreate("console-pragmas-other");
		expect(await other.add("x".repeat(100_000))).toBe(1);
		expect(await notes.add("after")).toBe(2);
	}, 30_000);
});
