// Regression (an attacker probe, 2026-11-27): the SQL console (an inspector token, which only
// reads) runs on the one WebAssembly SQLite every actor shares. A
// `DISTINCT` over 400,000 random blobs, stopped at its 2 s budget, had grown that memory by
// hundreds of MB, kept for the process's life. A console statement may now grow it by at most
// CONSOLE_MAX_SCRATCH_BYTES; past that it is interrupted with inspector/sql_error.
import { describe, expect, it } from "vitest";
import { CONSOLE_MAX_SCRATCH_BYTES } from "../../src/db/inspect.js";
import { setupTest } from "../../src/test/index.js";
import { call, INSPECTOR_TOKEN, registry } from "./fixture.js";

const reader = { authorization: `Bearer ${INSPECTOR_TOKEN}` };
const json = { "content-type": "application/json" };

describe("the SQL console's memory", () => {
	it("is bounded: a statement that spills more than 64 MiB to scratch files fails, and the rest goes on", async () => {
		await using t = await setupTest(registry);
		const notes = t.client.notes.getOrCreate("sql-memory");
		await notes.add("first");
		const actorId = await notes.resolve();
		const query = (sql: string) =>
			call(`${t.url}/inspector/actors/${actorId}/db/query`, {
				method: "POST",
				headers: { ...reader, ...json },
				body: JSON.stringify({ sql }),
			});
		expect((await query("SELECT count(*) FROM notes")).body.rows).toEqual([[1]]);
		const before = process.memoryUsage().arrayBuffers;
		const hungry = await query(
			// Distinct values of 1 MB that cost little to make (random ones took most of the 2 s on a
			// loaded machine, and the time limit answered first: 408, a gate run, 2026-11-29).
			"WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 400) SELECT count(DISTINCT printf('%d%.*c', x, 1000000, 'a')) FROM r",
		);
		expect(hungry.status).toBe(400);
		expect(hungry.body).toMatchObject({ group: "inspector", code: "sql_error" });
		expect(String(hungry.body.message)).toContain("MiB of temporary space");
		// The spill lives in ArrayBuffers of the inspector's VFS (freed when the statement ends).
		const grown = process.memoryUsage().arrayBuffers - before;
		expect(grown).toBeLessThan(CONSOLE_MAX_SCRATCH_BYTES + 16 * 1024 * 1024);
		await new Promise((resolve) => setTimeout(resolve, 500));
		expect((await query("SELECT count(*) FROM notes")).body.rows).toEqual([[1]]);
		expect(await notes.add("second")).toBe(2);
	}, 30_000);
});
