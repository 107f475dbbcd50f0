// The inspector's SQL console (an inspector token, which only reads) runs on
// the SQLite module every actor shares. It had neither the actors' LIKE
// pattern limit nor their stack guard: a pattern of 10,000 `%a` overflowed
// the JavaScript stack inside the module, which left its C stack pointer
// short, and from the fourth such query every actor's SQL failed until the
// process restarted; a pattern matched in one step, which the console's time
// limit cannot interrupt, held the loop 20 s (an audit, 2026-11-27).
import { describe, expect, it } from "vitest";
import { CONSOLE_MAX_LIKE_PATTERN, CONSOLE_REFUSED_FUNCTIONS } from "../../src/db/inspect.js";
import { setupTest } from "../../src/test/index.js";
import { call, INSPECTOR_TOKEN, registry } from "../inspector/fixture.js";
import { onLoop } from "./console-on-loop.js";

const reader = { authorization: `Bearer ${INSPECTOR_TOKEN}` };
const json = { "content-type": "application/json" };

/** Runs SQL in the console of actor `actorId` with a reader's token. */
const consoleOf = (url: string, actorId: string) => (sql: string) =>
	call(`${url}/inspector/actors/${actorId}/db/query`, {
		method: "POST",
		headers: { ...reader, ...json },
		body: JSON.stringify({ sql }),
	});

describe("the SQL console and long LIKE patterns", () => {
	it("refuses a pattern past its limit, and every actor's database goes on", async () => {
		await using t = await setupTest(registry);
		const notes = t.client.notes.getOrCreate("console-like");
		await notes.add("before");
		const actorId = await notes.resolve();
		const console = consoleOf(t.url, actorId);
		// (Written out, as long as the console's statement limit allows: the loop does not run
		// replace(), which built it.)
		const overflowing = `SELECT printf('%.*c', 30000, 'a') LIKE '${"%a".repeat(2_450)}b'`;
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

describe("the SQL console and functions whose one call it cannot interrupt", () => {
	const long = (n: number, c: string) => `printf('%.*c', ${n}, '${c}')`;
	// Each took seconds to minutes of the loop in one step (an audit, 2026-11-27):
	// instr 7 s, replace 7 s, trim 35 s, at a fifth of the console's value limit.
	const calls: Record<string, string> = {
		instr: `SELECT instr(${long(200_000, "a")}, ${long(20_000, "a")} || 'b')`,
		replace: `SELECT length(RePlAcE(${long(200_000, "a")}, ${long(20_000, "a")} || 'b', 'x'))`,
		trim: `SELECT length(trim(${long(200_000, "b")}, ${long(20_000, "a")} || 'b'))`,
		ltrim: `SELECT length("ltrim"(${long(200_000, "b")}, ${long(20_000, "a")} || 'b'))`,
		rtrim: `SELECT 1 WHERE rtrim(${long(200_000, "b")}, ${long(20_000, "a")} || 'b') = ''`,
		// Each character not a hex digit is looked for in the second argument (a review: 3.6 s).
		unhex: `SELECT length(unhex(${long(100_000, "g")}, ${long(20_000, "a")} || 'g'))`,
	};

	it("refuses them however spelt on the event loop, and runs the others", async () => {
		expect(Object.keys(calls).sort()).toEqual([...CONSOLE_REFUSED_FUNCTIONS].sort());
		for (const [name, sql] of Object.entries(calls)) {
			const answer = await onLoop(sql);
			expect(answer.error).toMatchObject({ reason: "sql_error" });
			expect((answer.error as Error).message).toContain(`does not run ${name}()`);
			expect(answer.ms).toBeLessThan(1_000);
		}
		// Others run; LIKE finds text.
		const found = await onLoop(
			"SELECT substr(x, 1, 6), upper('a') FROM (SELECT 'needle in a haystack' AS x) WHERE x LIKE '%hay%'",
		);
		expect(found.value).toMatchObject({ rows: [["needle", "A"]] });
	}, 30_000);

	it("runs them on the worker thread, which ends one 1 s past its time limit", async () => {
		await using t = await setupTest(registry);
		const notes = t.client.notes.getOrCreate("console-functions");
		await notes.add("needle in a haystack");
		const actorId = await notes.resolve();
		const console = consoleOf(t.url, actorId);
		expect(
			(await console("SELECT instr(body, 'hay'), replace(body, 'needle', 'pin') FROM notes")).body,
		).toMatchObject({
			rows: [[13, "pin in a haystack"]],
		});
		const started = performance.now();
		const cut = await console(calls.trim as string);
		expect(cut.body).toMatchObject({ group: "inspector", code: "timeout" });
		expect(performance.now() - started).toBeLessThan(8_000);
		expect(await notes.add("after")).toBe(2);
	}, 30_000);
});
