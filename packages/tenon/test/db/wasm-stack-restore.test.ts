// The shared SQLite module's C stack pointer after a JavaScript stack overflow inside it
// (wasm-stack.ts): without putting it back, each overflow left it lower, and after a few the C
// stack ran into the module's data (every actor's SQLite then failed until a restart: a probe,
// 2026-11-27). Here the JavaScript stack is filled to different depths before a statement that
// recurses inside SQLite (a GLOB of 900 `*`, within the pattern limit), so some overflows land
// inside the module; after each, the pointer is where it was, and statements still work.
import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/common/clock.js";
import { createLogger } from "../../src/common/logger.js";
import { openActorDatabase } from "../../src/db/open.js";
import { loadSqlite } from "../../src/db/sqlite.js";

async function openScratch() {
	return openActorDatabase({
		actorId: "wasm-stack",
		log: createLogger({ level: "silent" }),
		clock: systemClock,
		list: async () => [],
		put: () => {},
		delete: () => {},
		deleteRange: () => {},
		limits: { maxSize: 64 * 1024 * 1024, statementTimeout: 10_000, transactionTimeout: 30_000 },
	});
}

describe("a stack overflow inside SQLite", () => {
	it("leaves the module's stack pointer where the statement found it", async () => {
		const { module } = await loadSqlite();
		const stack = module.wasmStack;
		expect(stack).toBeDefined();
		const database = await openScratch();
		try {
			database.run("CREATE TABLE t (x TEXT)", [], undefined);
			database.run("INSERT INTO t VALUES (?)", ["a".repeat(2_000)], undefined);
			const pattern = "*a".repeat(450);
			const baseline = stack?.save();
			const deep = (n: number): unknown =>
				n === 0
					? database.run("SELECT count(*) FROM t WHERE x GLOB ?", [pattern], undefined)
					: deep(n - 1);
			let insideSqlite = 0;
			for (let depth = 0; depth < 20_000 && insideSqlite < 5; depth += 25) {
				try {
					deep(depth);
				} catch (error) {
					if (!(error instanceof RangeError)) throw error;
					if (String(error.stack).includes("wasm")) insideSqlite++;
					expect(stack?.save()).toBe(baseline);
				}
			}
			expect(insideSqlite).toBeGreaterThan(0);
			expect(stack?.save()).toBe(baseline);
			expect(database.run("SELECT count(*) AS n FROM t", [], undefined).rows).toEqual([[1]]);
		} finally {
			database.close();
		}
	});
});
