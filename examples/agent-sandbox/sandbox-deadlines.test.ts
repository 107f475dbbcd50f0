// How runs end at their time limit: interrupted by QuickJS, stopped hard by the worker when the
// code swallows the interrupt, or ended by the host killing the worker at its own deadline.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInSandbox, sandboxEngineStats, shutdownSandbox } from "./sandbox.js";
import { errorOf, resultOf, timed, UNHURRIED } from "./sandbox-test-kit.js";

beforeAll(async () => {
	// Starting a worker (tsx loads this TypeScript in it: ~0.5 s) is not part of a run's time.
	expect(resultOf(await runInSandbox("1"))).toBe(1);
});

afterAll(async () => {
	await shutdownSandbox();
});

describe("time limits", () => {
	it("ends an infinite loop as timeout within the time limit + 200 ms", async () => {
		const { run, elapsedMs, lateMs } = await timed("while (true) {}", { timeLimitMs: 500 });
		expect(errorOf(run)).toEqual({
			kind: "timeout",
			message: "The code ran past its time limit of 500 ms",
		});
		expect(elapsedMs).toBeGreaterThanOrEqual(490);
		expect(lateMs).toBeLessThan(50);
	});

	it("keeps interrupting a loop whose try/catch would swallow the interrupt", async () => {
		const { run, lateMs } = await timed(
			"for (;;) { try { while (true) {} } catch (e) {} finally { for (let i = 0; i < 1e9; i++) {} } }",
			{ timeLimitMs: 500 },
		);
		expect(errorOf(run).kind).toBe("timeout");
		expect(lateMs).toBeLessThan(50);
	});

	it("stops a loop of async functions that swallow the interrupt (hard stop)", async () => {
		// QuickJS turns an interrupt inside an async function or a promise executor into a
		// rejection, so the outer loop would carry on forever without the hard stop.
		for (const code of [
			"for (;;) { (async () => { for (;;) {} })(); }",
			"for (;;) { new Promise(() => { for (;;) {} }); }",
		]) {
			const { run, lateMs } = await timed(code, { timeLimitMs: 500 });
			expect(errorOf(run).kind).toBe("timeout");
			expect(lateMs).toBeLessThan(50);
		}
		// Normally the worker stops its own run (HardStop) well before the host would kill it; on
		// a starved machine the host's kill may come first, which ends the run just as well.
		expect(sandboxEngineStats().lastRetirement).toMatch(/HardStop|killed/);
		expect(resultOf(await runInSandbox("'still works'"))).toBe("still works");
	});

	it("stops an endless chain of promise jobs that catch their own interrupts", async () => {
		const { run, lateMs } = await timed(
			"function spin() { return Promise.resolve().then(() => { for (;;) {} }).catch(spin); } spin(); 1",
			{ timeLimitMs: 500 },
		);
		expect(errorOf(run).kind).toBe("timeout");
		expect(lateMs).toBeLessThan(50);
	});

	it("ends deep recursion as memory (stack overflow) and keeps working", async () => {
		const enginesBefore = sandboxEngineStats().enginesCreated;
		const direct = errorOf(await runInSandbox("function f() { return f() + 1; } f()", UNHURRIED));
		expect(direct).toEqual({ kind: "memory", message: "InternalError: stack overflow" });
		// Recursion through a native call and in the parser use far more native stack per level;
		// the worker's 16 MB stack lets QuickJS's own limit catch them too.
		const throughNative = errorOf(
			await runInSandbox("const o = {}; o.valueOf = () => +o; +o", UNHURRIED),
		);
		expect(throughNative).toEqual({ kind: "memory", message: "InternalError: stack overflow" });
		const nested = errorOf(
			await runInSandbox(`eval("(".repeat(1e5) + "1" + ")".repeat(1e5))`, UNHURRIED),
		);
		expect(nested).toMatchObject({ kind: "memory", message: "SyntaxError: stack overflow" });
		expect(sandboxEngineStats().enginesCreated).toBe(enginesBefore);
		expect(
			resultOf(
				await runInSandbox(
					"let depth = 0; function f() { depth++; f(); } try { f(); } catch { depth > 1000 }",
				),
			),
		).toBe(true);
	});

	it("kills the worker when native work outlasts the deadline between two interrupt polls", async () => {
		// QuickJS polls its interrupt handler every 10 000 bytecode ticks; with a 2.4 MB copy per
		// tick this loop ran 48 s past its limit before the host killed workers at the deadline.
		const workersBefore = sandboxEngineStats().workersStarted;
		const { run, lateMs } = await timed("const a = new Array(3e5).fill(1); for (;;) a.slice()", {
			timeLimitMs: 500,
		});
		expect(errorOf(run)).toEqual({
			kind: "timeout",
			message: "The code ran past its time limit of 500 ms",
		});
		expect(lateMs).toBeLessThan(50);
		expect(resultOf(await runInSandbox("'next run'"))).toBe("next run");
		expect(sandboxEngineStats().workersStarted).toBe(workersBefore + 1);
	});
});
