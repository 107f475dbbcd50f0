// The SQL console's time limit is checked by SQLite's progress handler, which
// SQLite calls at its program's jumps only: steps between two jumps run
// whatever they cost. One row's expression of 20 LIKEs (100-byte patterns)
// over a 1 MiB value held the loop 9 to 10 s past the 2 s limit (an attacker
// probe, 2026-11-28), and with a check every 1,000 steps, a LIKE in each row's
// WHERE ran 100 rows between two checks (6.5 s for 20 rows, a review,
// 2026-11-29). Now the handler is asked every 32 steps, and what one row's
// expression may hold is bounded: LIKE/GLOB count and pattern length,
// function calls, statement length.
import { describe, expect, it } from "vitest";
import {
	CONSOLE_MAX_FUNCTION_CALLS,
	CONSOLE_MAX_LIKE_PATTERN,
	CONSOLE_MAX_PATTERN_MATCHES,
	CONSOLE_MAX_SQL_CHARS,
	CONSOLE_MAX_STEPS,
} from "../../src/db/inspect.js";
import { setupTest } from "../../src/test/index.js";
import { call, INSPECTOR_TOKEN, registry } from "../inspector/fixture.js";

const reader = { authorization: `Bearer ${INSPECTOR_TOKEN}` };
const json = { "content-type": "application/json" };

/** A server with an actor that has a database, and its console (each test its own budget). */
async function consoleOnNewServer() {
	const t = await setupTest(registry);
	const notes = t.client.notes.getOrCreate("bounds");
	await notes.add("a note");
	const actorId = await notes.resolve();
	const run = async (sql: string) => {
		const started = performance.now();
		const answer = await call(`${t.url}/inspector/actors/${actorId}/db/query`, {
			method: "POST",
			headers: { ...reader, ...json },
			body: JSON.stringify({ sql }),
		});
		return { ...answer, ms: performance.now() - started };
	};
	// The console's worker started first: the times below are its queries'.
	expect((await run("SELECT 1")).body).toMatchObject({ rows: [[1]] });
	return { t, notes, run };
}

/** A 1 MiB string of `a`, made in SQL (the console's longest value). */
const MIB_OF_A = "printf('%.*c', 1048000, 'a')";
/** The costliest pattern the console takes: `%` then `a`s then `b`, scanned at every offset. */
const PATTERN = `%${"a".repeat(CONSOLE_MAX_LIKE_PATTERN - 2)}b`;

describe("the SQL console's steps between two checks of its time limit", () => {
	it("stops a LIKE in every row's WHERE at its time limit, and serves others meanwhile", async () => {
		const { t, notes, run } = await consoleOnNewServer();
		await using _ = t;
		const rows = `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 60)`;
		const answer = await run(
			`${rows} SELECT count(*) FROM c WHERE ${MIB_OF_A} || i LIKE '${PATTERN}'`,
		);
		// 60 rows of about 0.2 s each: 12 s when checked every 1,000 steps.
		expect(answer.body).toMatchObject({ group: "inspector", code: "timeout" });
		expect(answer.ms).toBeLessThan(4_000);
		expect(await notes.add("after")).toBe(2);
	}, 30_000);

	it(`takes ${CONSOLE_MAX_PATTERN_MATCHES} LIKE or GLOB in one statement, refuses one more at once`, async () => {
		const { t, run } = await consoleOnNewServer();
		await using _ = t;
		const likes = (n: number) =>
			`WITH v(x) AS (SELECT 'ab') SELECT ${Array.from({ length: n }, (_, i) => (i % 2 === 0 ? `(x LIKE '%b')` : `(x GLOB '*b')`)).join(" + ")} FROM v`;
		expect((await run(likes(CONSOLE_MAX_PATTERN_MATCHES))).body).toMatchObject({
			rows: [[CONSOLE_MAX_PATTERN_MATCHES]],
		});
		const refused = await run(likes(CONSOLE_MAX_PATTERN_MATCHES + 1));
		expect(refused.body).toMatchObject({ group: "inspector", code: "sql_error" });
		expect(refused.body.message).toContain(`at most ${CONSOLE_MAX_PATTERN_MATCHES} LIKE or GLOB`);
		// Written as a function, or through a subquery, it counts the same.
		const spelled = `SELECT like('%b', 'ab') + glob('*b', 'ab') + (SELECT 'ab' LIKE '%b') + like('a', 'a') + ('ab' NOT LIKE 'x')`;
		expect((await run(spelled)).body.message).toContain("LIKE or GLOB");
		expect(refused.ms).toBeLessThan(1_000);
	}, 30_000);

	it(`runs ${CONSOLE_MAX_FUNCTION_CALLS} function calls in one statement and refuses more (the 1 MiB values' steps stay short)`, async () => {
		const { t, run } = await consoleOnNewServer();
		await using _ = t;
		const calls = (n: number) =>
			`WITH v(x) AS (SELECT ${MIB_OF_A}) SELECT ${Array.from({ length: n }, () => "length(upper(x))").join(" + ")} FROM v`;
		// Two calls a term, and printf(): the most that fit, then one term more.
		const terms = Math.floor((CONSOLE_MAX_FUNCTION_CALLS - 1) / 2);
		const fits = await run(calls(terms));
		expect(fits.body).toMatchObject({ rows: [[terms * 1048000]] });
		expect(fits.ms).toBeLessThan(2_500);
		const refused = await run(calls(terms + 1));
		expect(refused.body).toMatchObject({ group: "inspector", code: "sql_error" });
		expect(refused.body.message).toContain(`at most ${CONSOLE_MAX_FUNCTION_CALLS} function calls`);
		expect(refused.ms).toBeLessThan(1_000);
	}, 30_000);

	it(`refuses a statement of more than ${CONSOLE_MAX_SQL_CHARS.toLocaleString("en-US")} characters`, async () => {
		const { t, run } = await consoleOnNewServer();
		await using _ = t;
		const padded = (length: number) => {
			const head = "SELECT 1 /* ";
			return `${head}${"x".repeat(length - head.length - 3)} */`;
		};
		expect(padded(CONSOLE_MAX_SQL_CHARS)).toHaveLength(CONSOLE_MAX_SQL_CHARS);
		expect((await run(padded(CONSOLE_MAX_SQL_CHARS))).body).toMatchObject({ rows: [[1]] });
		const refused = await run(padded(CONSOLE_MAX_SQL_CHARS + 1));
		expect(refused.status).toBe(400);
		expect(refused.body).toMatchObject({ group: "request", code: "invalid" });
		expect(refused.body.message).toContain("longer than");
	}, 30_000);

	it("counts calls and steps as compiled: an alias used many times counts each time", async () => {
		const { t, run } = await consoleOnNewServer();
		await using _ = t;
		// One LIKE written, 40 compiled (each use of the alias): 5.6 s past the limit (a review).
		const aliased = `SELECT (v LIKE '${PATTERN}') AS l FROM (SELECT ${MIB_OF_A} AS v) WHERE ${Array.from({ length: 40 }, () => "l").join("+")} >= 0`;
		const refused = await run(aliased);
		expect(refused.body).toMatchObject({ group: "inspector", code: "sql_error" });
		expect(refused.body.message).toContain("LIKE or GLOB in one statement, as compiled");
		expect(refused.ms).toBeLessThan(1_000);
		// Operators on 1 MiB values take about 1 ms each: a program past its steps is refused.
		const comparisons = `WITH v(x) AS (SELECT ${MIB_OF_A}) SELECT ${Array.from({ length: 600 }, () => "(x=x)").join("+")} FROM v`;
		expect(comparisons.length).toBeLessThan(CONSOLE_MAX_SQL_CHARS);
		const long = await run(comparisons);
		expect(long.body).toMatchObject({ group: "inspector", code: "sql_error" });
		expect(long.body.message).toContain(`at most ${CONSOLE_MAX_STEPS} steps`);
		// EXPLAIN and EXPLAIN QUERY PLAN still list, not run (the count switches a statement's mode).
		const listed = await run("EXPLAIN SELECT count(*) FROM notes");
		expect((listed.body.columns as string[]).slice(0, 2)).toEqual(["addr", "opcode"]);
		const plan = await run("EXPLAIN QUERY PLAN SELECT * FROM notes WHERE id = 1");
		expect(plan.body.columns).toEqual(["id", "parent", "notused", "detail"]);
		// An ordinary query runs.
		expect((await run("SELECT count(*) FROM notes WHERE body LIKE '%note%'")).body).toMatchObject({
			rows: [[1]],
		});
	}, 30_000);
});
