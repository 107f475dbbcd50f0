// The SQL console's time limit is checked by SQLite's progress handler, which
// SQLite calls at its program's jumps only: steps between two jumps run
// whatever they cost. One row's expression of 20 LIKEs (100-byte patterns)
// over a 1 MiB value held the loop 9 to 10 s past the 2 s limit (an attacker
// probe, 2026-11-28), and with a check every 1,000 steps, a LIKE in each row's
// WHERE ran 100 rows between two checks (6.5 s for 20 rows, a review,
// 2026-11-29). Now the handler is asked every 32 steps. On the event loop
// (where no worker thread could start), what one row's expression may hold is
// bounded: LIKE/GLOB count and pattern length, function calls, steps. On the
// console's worker thread, which is terminated 1 s past the limit, those
// bounds refused legitimate queries (a LIKE search over five columns) and are
// lifted (2026-11-29).
import { describe, expect, it } from "vitest";
import {
	CONSOLE_MAX_FUNCTION_CALLS,
	CONSOLE_MAX_LIKE_PATTERN,
	CONSOLE_MAX_PATTERN_MATCHES,
	CONSOLE_MAX_SQL_CHARS,
	CONSOLE_MAX_STEPS,
} from "../../src/db/inspect.js";
import { MAX_LIKE_PATTERN } from "../../src/db/open.js";
import { loadSqlite } from "../../src/db/sqlite.js";
import { setupTest } from "../../src/test/index.js";
import { call, INSPECTOR_TOKEN, registry } from "../inspector/fixture.js";
import { onLoop } from "./console-on-loop.js";

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
/** The costliest pattern of `length` bytes: `%` then `a`s then `b`, scanned at every offset. */
const costly = (length: number) => `%${"a".repeat(length - 2)}b`;
const PATTERN = costly(CONSOLE_MAX_LIKE_PATTERN);

describe("the SQL console on the event loop: one row's steps are bounded", () => {
	it("stops a LIKE in every row's WHERE at its time limit", async () => {
		const rows = `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 60)`;
		const answer = await onLoop(
			`${rows} SELECT count(*) FROM c WHERE ${MIB_OF_A} || i LIKE '${PATTERN}'`,
		);
		// 60 rows of about 0.2 s each: 12 s when checked every 1,000 steps.
		expect(answer.error).toMatchObject({ reason: "timeout" });
		expect(answer.ms).toBeLessThan(4_000);
	}, 30_000);

	it(`takes ${CONSOLE_MAX_PATTERN_MATCHES} LIKE or GLOB in one statement, refuses one more at once`, async () => {
		const likes = (n: number) =>
			`WITH v(x) AS (SELECT 'ab') SELECT ${Array.from({ length: n }, (_, i) => (i % 2 === 0 ? `(x LIKE '%b')` : `(x GLOB '*b')`)).join(" + ")} FROM v`;
		expect((await onLoop(likes(CONSOLE_MAX_PATTERN_MATCHES))).value).toMatchObject({
			rows: [[CONSOLE_MAX_PATTERN_MATCHES]],
		});
		const refused = await onLoop(likes(CONSOLE_MAX_PATTERN_MATCHES + 1));
		expect(refused.error).toMatchObject({ reason: "sql_error" });
		expect((refused.error as Error).message).toContain(
			`at most ${CONSOLE_MAX_PATTERN_MATCHES} LIKE or GLOB`,
		);
		// Written as a function, or through a subquery, it counts the same.
		const spelled = `SELECT like('%b', 'ab') + glob('*b', 'ab') + (SELECT 'ab' LIKE '%b') + like('a', 'a') + ('ab' NOT LIKE 'x')`;
		expect(((await onLoop(spelled)).error as Error).message).toContain("LIKE or GLOB");
		expect(refused.ms).toBeLessThan(1_000);
		// Patterns longer than the loop's limit are refused by SQLite.
		const long = await onLoop(`SELECT 'ab' LIKE '${"%".repeat(CONSOLE_MAX_LIKE_PATTERN)}ab'`);
		expect((long.error as Error).message).toMatch(/pattern too complex/);
	}, 30_000);

	it(`runs ${CONSOLE_MAX_FUNCTION_CALLS} function calls in one statement and refuses more (the 1 MiB values' steps stay short)`, async () => {
		const calls = (n: number) =>
			`WITH v(x) AS (SELECT ${MIB_OF_A}) SELECT ${Array.from({ length: n }, () => "length(upper(x))").join(" + ")} FROM v`;
		// Two calls a term, and printf(): the most that fit, then one term more.
		const terms = Math.floor((CONSOLE_MAX_FUNCTION_CALLS - 1) / 2);
		const fits = await onLoop(calls(terms));
		expect(fits.value).toMatchObject({ rows: [[terms * 1048000]] });
		expect(fits.ms).toBeLessThan(4_000);
		const refused = await onLoop(calls(terms + 1));
		expect(refused.error).toMatchObject({ reason: "sql_error" });
		expect((refused.error as Error).message).toContain(
			`at most ${CONSOLE_MAX_FUNCTION_CALLS} function calls`,
		);
		expect(refused.ms).toBeLessThan(1_000);
	}, 30_000);

	it("does not merge subqueries, whose columns' copies grew while compiling (3.1 s and 1.9 GB, a probe)", async () => {
		let sql = "SELECT 1 AS c0";
		for (let level = 1; level <= 7; level++)
			sql = `SELECT ${Array.from({ length: 10 }, () => `c${level - 1}`).join("+")} AS c${level} FROM (${sql})`;
		expect(sql.length).toBeLessThan(500);
		const { module } = await loadSqlite();
		const before = module.HEAPU8.byteLength;
		const answer = await onLoop(sql);
		expect(answer.value).toMatchObject({ rows: [[10_000_000]] });
		expect(answer.ms).toBeLessThan(1_000);
		expect(module.HEAPU8.byteLength - before).toBeLessThan(64 * 1024 * 1024);
	}, 30_000);

	it("refuses NOT MATERIALIZED, whose CTE is compiled again in each use (220 MiB for 1,188 characters, a review)", async () => {
		const levels = ["c0(x) AS NOT /* spelt apart */ MATERIALIZED (SELECT 1)"];
		for (let level = 1; level <= 5; level++)
			levels.push(
				`c${level}(x) AS not\nmaterialized (SELECT ${Array.from({ length: 10 }, () => `(SELECT x FROM c${level - 1})`).join("+")})`,
			);
		const { module } = await loadSqlite();
		const before = module.HEAPU8.byteLength;
		const answer = await onLoop(`WITH ${levels.join(", ")} SELECT x FROM c5`);
		expect((answer.error as Error).message).toContain("NOT MATERIALIZED");
		expect(module.HEAPU8.byteLength - before).toBeLessThan(16 * 1024 * 1024);
		// The words in a comment do not count; a CTE used twice is computed once.
		const twice = `WITH t(x) AS (SELECT 2) SELECT (SELECT x FROM t) + (SELECT x FROM t) -- not materialized`;
		expect((await onLoop(twice)).value).toMatchObject({ rows: [[4]] });
	}, 30_000);

	it("counts calls and steps as compiled: an alias used many times counts each time", async () => {
		// One LIKE written, 40 compiled (each use of the alias): 5.6 s past the limit (a review).
		const aliased = `SELECT (v LIKE '${PATTERN}') AS l FROM (SELECT ${MIB_OF_A} AS v) WHERE ${Array.from({ length: 40 }, () => "l").join("+")} >= 0`;
		const refused = await onLoop(aliased);
		expect(refused.error).toMatchObject({ reason: "sql_error" });
		expect((refused.error as Error).message).toContain(
			"LIKE or GLOB in one statement, as compiled",
		);
		expect(refused.ms).toBeLessThan(1_000);
		// Operators on 1 MiB values take about 1 ms each: a program past its steps is refused.
		const comparisons = `WITH v(x) AS (SELECT ${MIB_OF_A}) SELECT ${Array.from({ length: 600 }, () => "(x=x)").join("+")} FROM v`;
		expect(comparisons.length).toBeLessThan(CONSOLE_MAX_SQL_CHARS);
		const long = await onLoop(comparisons);
		expect(long.error).toMatchObject({ reason: "sql_error" });
		expect((long.error as Error).message).toContain(`at most ${CONSOLE_MAX_STEPS} steps`);
		// EXPLAIN and EXPLAIN QUERY PLAN still list, not run (the count switches a statement's mode).
		const listed = (await onLoop("EXPLAIN SELECT 1")).value as { columns: string[] };
		expect(listed.columns.slice(0, 2)).toEqual(["addr", "opcode"]);
		const plan = (await onLoop("EXPLAIN QUERY PLAN SELECT 1")).value as { columns: string[] };
		expect(plan.columns).toEqual(["id", "parent", "notused", "detail"]);
	}, 30_000);
});

describe("the SQL console on its worker thread: one row's steps are cut by the thread's end", () => {
	it("runs what the loop's bounds refuse: a LIKE search over five columns, long patterns, instr()", async () => {
		const { t, run } = await consoleOnNewServer();
		await using _ = t;
		const search = `SELECT id FROM notes WHERE body LIKE '%note%' OR body LIKE '%x%' OR CAST(id AS TEXT) LIKE '%9%' OR CAST(done AS TEXT) LIKE '%7%' OR body GLOB '*z*' OR substr(body, 1, 1) LIKE 'q%'`;
		expect((await run(search)).body).toMatchObject({ rows: [[1]] });
		const functions = `SELECT instr(body, 'note'), replace(body, 'a ', ''), trim('  x  '), ltrim('xy', 'x'), rtrim('yx', 'x'), hex(unhex('0A')) FROM notes`;
		expect((await run(functions)).body).toMatchObject({ rows: [[3, "note", "x", "y", "y", "0A"]] });
		// Up to the actors' own pattern limit.
		const long = `SELECT 'ab' LIKE '${"%".repeat(MAX_LIKE_PATTERN - 2)}ab'`;
		expect((await run(long)).body).toMatchObject({ rows: [[1]] });
		const longer = await run(`SELECT 'ab' LIKE '${"%".repeat(MAX_LIKE_PATTERN - 1)}ab'`);
		expect(longer.body).toMatchObject({ group: "inspector", code: "sql_error" });
		expect(longer.body.message).toMatch(/pattern too complex/);
		// The program's steps stay bounded (each argument of a call is a copy of its value: they
		// bound its memory too; a probe grew the worker to 2 GB without them).
		const steps = `SELECT ${Array.from({ length: 600 }, () => "(x=x)").join("+")} FROM (SELECT 'a note' AS x)`;
		expect((await run(steps)).body.message).toContain(`at most ${CONSOLE_MAX_STEPS} steps`);
	}, 30_000);

	it("ends a row that would run for seconds in one step 1 s past its limit, and serves everyone meanwhile", async () => {
		const { t, notes, run } = await consoleOnNewServer();
		await using _ = t;
		// 40 LIKEs of the actors' longest pattern over 1 MiB, one row: minutes of one step's work.
		const aliased = `SELECT (v LIKE '${costly(MAX_LIKE_PATTERN)}') AS l FROM (SELECT ${MIB_OF_A} AS v) WHERE ${Array.from({ length: 40 }, () => "l").join("+")} >= 0`;
		const pending = run(aliased);
		const slowest: number[] = [];
		for (let i = 0; i < 5; i++) {
			const started = performance.now();
			await notes.add(`during ${i}`);
			slowest.push(performance.now() - started);
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
		const answer = await pending;
		expect(answer.body).toMatchObject({ group: "inspector", code: "timeout" });
		// The 2 s limit, 1 s of grace, the worker's start and the copy (minutes without the end).
		expect(answer.ms).toBeLessThan(8_000);
		expect(Math.max(...slowest)).toBeLessThan(1_000);
		// A new worker answers the next query, once the console's share of time is back.
		const busy = await run("SELECT count(*) FROM notes");
		if (busy.body.code === "sql_console_busy")
			await new Promise((resolve) =>
				setTimeout(resolve, (busy.body.metadata as { retryAfterMs: number }).retryAfterMs + 50),
			);
		expect((await run("SELECT count(*) FROM notes")).body).toMatchObject({ rows: [[6]] });
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
});
