import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	measureSandboxHeap,
	runInSandbox,
	sandboxEngineStats,
	shutdownSandbox,
} from "./sandbox.js";
import { errorOf, MIB, resultOf, UNHURRIED } from "./sandbox-test-kit.js";

/** V8's collector, reachable once --expose-gc is set (a flag a running isolate accepts). */
function exposeGc(): () => void {
	setFlagsFromString("--expose-gc");
	const gc: unknown = runInNewContext("gc");
	if (typeof gc !== "function") throw new Error("could not expose V8's gc");
	return () => {
		gc();
		gc();
	};
}

beforeAll(async () => {
	// Starting a worker (tsx loads this TypeScript in it: ~0.5 s) is not part of a run's time.
	expect(resultOf(await runInSandbox("1"))).toBe(1);
});

afterAll(async () => {
	await shutdownSandbox();
});

describe("normal use", () => {
	it("evaluates arithmetic and returns the last expression", async () => {
		expect(resultOf(await runInSandbox("const x = 6; x * 7"))).toBe(42);
		expect(resultOf(await runInSandbox("0.1 + 0.2"))).toBeCloseTo(0.3);
	});

	it("returns objects and arrays as plain JSON data", async () => {
		const result = resultOf(
			await runInSandbox(
				`({ name: "tenon", list: [1, "two", { deep: [true, null] }], when: new Date(0) })`,
			),
		);
		expect(result).toEqual({
			name: "tenon",
			list: [1, "two", { deep: [true, null] }],
			when: "1970-01-01T00:00:00.000Z",
		});
		expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
		expect(resultOf(await runInSandbox("[3, 1, 2].sort()"))).toEqual([1, 2, 3]);
	});

	it("collects console output, one entry per call", async () => {
		const run = await runInSandbox(`
			console.log("hello", 42, { a: [1, 2] }, [3], undefined, null);
			console.info("info");
			console.warn("careful");
			console.error(new TypeError("bad input"));
			"done"
		`);
		expect(resultOf(run)).toBe("done");
		expect(run.logs).toEqual([
			'hello 42 {"a":[1,2]} [3] undefined null',
			"info",
			"[warn] careful",
			"[error] TypeError: bad input",
		]);
	});

	it("supports top-level await, a returned promise and a module's default export", async () => {
		expect(resultOf(await runInSandbox("const v = await Promise.resolve(20); v + 1"))).toBe(21);
		expect(resultOf(await runInSandbox("Promise.resolve([1, 2])"))).toEqual([1, 2]);
		expect(
			resultOf(await runInSandbox("const n = await Promise.resolve(2); export default { n }")),
		).toEqual({ n: 2 });
	});

	it("runs a module that declares bindings before its export (compile-only modules crashed the engine)", async () => {
		// quickjs-emscripten's QTS_Eval treats a compile-only module as an evaluated one and
		// read out of bounds; the sandbox no longer compiles before running.
		const enginesBefore = sandboxEngineStats().enginesCreated;
		expect(resultOf(await runInSandbox("const n = 1; export default { n }"))).toEqual({ n: 1 });
		expect(sandboxEngineStats().enginesCreated).toBe(enginesBefore);
	});

	it("returns undefined for code without a value, and a string form for values JSON lacks", async () => {
		expect(resultOf(await runInSandbox("let unused = 1"))).toBeUndefined();
		expect(resultOf(await runInSandbox("(a, b) => a + b"))).toBe("(a, b) => a + b");
		expect(resultOf(await runInSandbox("2n ** 70n"))).toBe("1180591620717411303424");
		expect(resultOf(await runInSandbox("const o = {}; o.self = o; o"))).toBe("[object Object]");
		expect(resultOf(await runInSandbox("NaN"))).toBeNull();
	});
});

describe("errors in the code", () => {
	it("reports a syntax error as kind syntax, with its location", async () => {
		const error = errorOf(await runInSandbox("const x = 1;\nlet y = (2 +;"));
		expect(error.kind).toBe("syntax");
		expect(error.message).toMatch(/^SyntaxError: .+\(sandbox\.js:2:\d+\)$/);
	});

	it("reports a thrown error as kind runtime, with its message and stack", async () => {
		const error = errorOf(
			await runInSandbox("function check() { throw new RangeError('boom'); }\ncheck()"),
		);
		expect(error.kind).toBe("runtime");
		expect(error.message).toMatch(/^RangeError: boom\n\s+at check \(sandbox\.js:1:/);
	});

	it("reports a syntax error in a module as kind syntax", async () => {
		const error = errorOf(await runInSandbox("const x = 1;\nexport default {"));
		expect(error.kind).toBe("syntax");
		expect(error.message).toMatch(/\(sandbox\.js:2:\d+\)$/);
	});

	it("reports SyntaxErrors thrown while running (JSON.parse, eval) as runtime, not syntax", async () => {
		for (const code of [
			"JSON.parse('{oops')",
			"eval('(')",
			"new Function('(')",
			"JSON.parse('{'); export default 1",
		]) {
			const error = errorOf(await runInSandbox(code));
			expect(error.kind).toBe("runtime");
			expect(error.message).toMatch(/^SyntaxError: /);
		}
	});

	it("reports thrown non-errors, rejections and promises that can never settle", async () => {
		expect(errorOf(await runInSandbox("throw 'plain'"))).toEqual({
			kind: "runtime",
			message: "plain",
		});
		expect(errorOf(await runInSandbox("throw { code: 7 }")).message).toBe('{"code":7}');
		expect(errorOf(await runInSandbox("await Promise.reject(new Error('no'))")).message).toMatch(
			/^Error: no/,
		);
		const pending = errorOf(await runInSandbox("new Promise(() => {})"));
		expect(pending.kind).toBe("runtime");
		expect(pending.message).toMatch(/never settled/);
	});
});

describe("no host access", () => {
	it("exposes only ECMAScript built-ins and console", async () => {
		const names = resultOf(await runInSandbox("Object.getOwnPropertyNames(globalThis)"));
		expect(Array.isArray(names)).toBe(true);
		const builtIns = new Set([
			...["AggregateError", "Array", "ArrayBuffer", "BigInt", "BigInt64Array", "BigUint64Array"],
			...["Boolean", "DataView", "Date", "Error", "EvalError", "FinalizationRegistry"],
			...["Float16Array", "Float32Array", "Float64Array", "Function", "Infinity", "Int16Array"],
			...["Int32Array", "Int8Array", "InternalError", "Iterator", "JSON", "Map", "Math", "NaN"],
			...["Number", "Object", "Promise", "Proxy", "RangeError", "ReferenceError", "Reflect"],
			...["RegExp", "Set", "SharedArrayBuffer", "String", "Symbol", "SyntaxError", "TypeError"],
			...["URIError", "Uint16Array", "Uint32Array", "Uint8Array", "Uint8ClampedArray", "WeakMap"],
			...["WeakRef", "WeakSet", "console", "decodeURI", "decodeURIComponent", "encodeURI"],
			...["encodeURIComponent", "escape", "eval", "globalThis", "isFinite", "isNaN"],
			...["parseFloat", "parseInt", "undefined", "unescape"],
		]);
		expect((names as string[]).filter((name) => !builtIns.has(name))).toEqual([]);
		const hostNames = [
			...["require", "process", "fetch", "setTimeout", "setInterval", "setImmediate", "Buffer"],
			...["module", "exports", "XMLHttpRequest", "WebAssembly", "std", "os", "Deno", "Bun"],
		];
		const types = resultOf(
			await runInSandbox(
				`${JSON.stringify(hostNames)}.map((name) => [name, typeof globalThis[name], typeof Function("return this")()[name]])`,
			),
		);
		expect(types).toEqual(hostNames.map((name) => [name, "undefined", "undefined"]));
	});

	it("refuses static and dynamic imports", async () => {
		const staticImport = errorOf(await runInSandbox("import fs from 'node:fs'; export default fs"));
		expect(staticImport).toEqual({
			kind: "runtime",
			message: "Error: Cannot import 'node:fs': the sandbox has no modules",
		});
		const dynamicImport = errorOf(await runInSandbox("await import('node:child_process')"));
		expect(dynamicImport.message).toMatch(/^Error: Cannot import 'node:child_process'/);
	});

	it("starts every run from a fresh context", async () => {
		expect(
			resultOf(await runInSandbox("globalThis.leftover = 1; Object.prototype.mark = 2; 0")),
		).toBe(0);
		expect(resultOf(await runInSandbox("[typeof leftover, typeof ({}).mark]"))).toEqual([
			"undefined",
			"undefined",
		]);
	});
});

describe("hostile code", () => {
	it("ends huge strings and arrays as memory", async () => {
		const single = await runInSandbox("'x'.repeat(2 ** 28)", UNHURRIED);
		expect(errorOf(single)).toEqual({ kind: "memory", message: "InternalError: out of memory" });
		const growing = await runInSandbox(
			"const parts = []; for (;;) parts.push(new Array(1000).fill(parts.length))",
			UNHURRIED,
		);
		expect(errorOf(growing).kind).toBe("memory");
		const typed = await runInSandbox(
			"const keep = []; for (;;) keep.push(new Uint8Array(1 << 20))",
			UNHURRIED,
		);
		expect(errorOf(typed).kind).toBe("memory");
		expect(resultOf(await runInSandbox("'fine'"))).toBe("fine");
	});

	it("caps the real WASM memory even though QuickJS counts each allocation as 8 bytes", async () => {
		// Many small strings passed QuickJS's own 16 MiB limit up to 600+ MB of WASM memory.
		const caught = await runInSandbox(
			"const keep = []; try { for (;;) keep.push('x'.repeat(1000) + keep.length); } catch (e) { keep.length = 0; } 'survived'",
			UNHURRIED,
		);
		expect(caught.ok ? caught.result : caught.error.kind).toMatch(/survived|memory/);
		expect(sandboxEngineStats().wasmMemoryBytes).toBeLessThanOrEqual(23 * MIB);
	});

	it("replaces an engine that grew for a larger limit before a smaller-limit run", async () => {
		const big = await runInSandbox(
			"const keep = []; for (let i = 0; i < 40; i++) keep.push(new Uint8Array(1 << 20)); keep.length",
			{ ...UNHURRIED, memoryLimitBytes: 64 * MIB },
		);
		expect(resultOf(big)).toBe(40);
		expect(sandboxEngineStats().wasmMemoryBytes).toBeGreaterThan(40 * MIB);
		const enginesBefore = sandboxEngineStats().enginesCreated;
		expect(resultOf(await runInSandbox("1 + 1"))).toBe(2);
		expect(sandboxEngineStats().enginesCreated).toBe(enginesBefore + 1);
		expect(sandboxEngineStats().wasmMemoryBytes).toBeLessThanOrEqual(23 * MIB);
	});

	it("leaves the calling thread free while guest code spins", async () => {
		// Not a wall-clock bound (a loaded machine delays timers): a timer set
		// after the call must fire while the guest still spins. Had the guest
		// run on this thread, the call would have returned only after its time
		// limit, and the timer would fire after the run ended.
		const running = runInSandbox("while (true) {}", { timeLimitMs: 400 });
		let tickAt: number | undefined;
		setTimeout(() => {
			tickAt = performance.now();
		}, 20);
		const run = await running;
		const endedAt = performance.now();
		expect(errorOf(run).kind).toBe("timeout");
		expect(tickAt).toBeDefined();
		expect(tickAt as number).toBeLessThan(endedAt);
	});

	it("keeps prototype tampering inside the sandbox", async () => {
		const run = await runInSandbox(`
			Object.prototype.polluted = "yes";
			Array.prototype.map = null;
			JSON.stringify = () => "forged";
			String = null;
			console.log({ a: 1 });
			JSON.parse('{"__proto__": {"polluted": "host"}, "safe": 1, "nested": {"__proto__": {"x": 1}}}')
		`);
		const result = resultOf(run);
		expect(result).toEqual({ safe: 1, nested: {} });
		expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
		expect(Object.hasOwn(result as object, "__proto__")).toBe(false);
		expect(run.logs).toEqual(['{"a":1}']);
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		expect(typeof [].map).toBe("function");
		expect(JSON.stringify({ a: 1 })).toBe('{"a":1}');
	});

	it("reports errors even when the code hooks toJSON, array indexes and String methods", async () => {
		// A bootstrap that returned its description as JSON made the host's JSON.parse throw on
		// `Array.prototype.toJSON = () => undefined`, so runInSandbox rejected.
		for (const hook of [
			"Array.prototype.toJSON = () => undefined;",
			"Object.prototype.toJSON = () => ({ forged: true });",
			"Object.defineProperty(Array.prototype, 0, { set() { throw 1; } });",
			"String.prototype.substring = () => { throw 1; };",
		]) {
			const error = errorOf(await runInSandbox(`${hook} throw new TypeError("real")`));
			expect(error.kind).toBe("runtime");
			expect(error.message).toMatch(/^TypeError: real\n/);
		}
		expect(
			errorOf(await runInSandbox("throw new Proxy({}, { get() { throw new Error('trap'); } })")),
		).toEqual({ kind: "runtime", message: "[unreadable error]" });
	});

	it("refuses code larger than half the memory limit before copying it into the engine", async () => {
		const enginesBefore = sandboxEngineStats().enginesCreated;
		const error = errorOf(await runInSandbox(`1; /*${"x".repeat(9 * MIB)}*/`));
		expect(error.kind).toBe("memory");
		expect(error.message).toMatch(/more than half/);
		expect(sandboxEngineStats().enginesCreated).toBe(enginesBefore);
		expect(resultOf(await runInSandbox(`/*${"x".repeat(MIB)}*/ 42`, UNHURRIED))).toBe(42);
	});

	it("truncates console output beyond maxOutputBytes", async () => {
		const run = await runInSandbox(
			"for (let i = 0; i < 10000; i++) console.log('line ' + i); 'done'",
			{ ...UNHURRIED, maxOutputBytes: 1000 },
		);
		expect(resultOf(run)).toBe("done");
		expect(run.logs.at(-1)).toBe("[output truncated]");
		const kept = run.logs.slice(0, -1);
		expect(kept[0]).toBe("line 0");
		expect(
			kept.reduce((bytes, line) => bytes + Buffer.byteLength(line) + 1, 0),
		).toBeLessThanOrEqual(1000);
	});

	it("reports a result over maxOutputBytes as kind output", async () => {
		const error = errorOf(await runInSandbox("'é'.repeat(600)", { maxOutputBytes: 1000 }));
		expect(error.kind).toBe("output");
		const fits = await runInSandbox("console.log('x'.repeat(800)); 'y'.repeat(500)", {
			maxOutputBytes: 1000,
		});
		expect(resultOf(fits)).toBe("y".repeat(500));
		// The result has priority over console output.
		expect(fits.logs.at(-1)).toBe("[output truncated]");
	});

	it("lets concurrent callers finish while one of them wrecks the engine", async () => {
		const runs = await Promise.all([
			runInSandbox("for (;;) { (async () => { for (;;) {} })(); }", { timeLimitMs: 200 }),
			runInSandbox("'a'"),
			runInSandbox("const o = {}; o.valueOf = () => +o; +o", UNHURRIED),
			runInSandbox("'b'"),
		]);
		expect(runs.map((run) => (run.ok ? run.result : run.error.kind))).toEqual([
			"timeout",
			"a",
			"memory",
			"b",
		]);
	});
});

describe("resources", () => {
	it("runs 500 sandboxes without growing the Node heap or the WASM engine", async () => {
		const collect = exposeGc();
		const runBatch = async (count: number) => {
			for (let i = 0; i < count; i++) {
				const code =
					i % 3 === 0
						? `console.log("run", ${i}); ({ i: ${i}, list: [1, 2, 3], text: "x".repeat(200) })`
						: i % 3 === 1
							? `throw new Error("failure ${i}")`
							: `const v = await Promise.resolve(${i}); [v, typeof require]`;
				const run = await runInSandbox(code, UNHURRIED);
				expect(run.ok).toBe(i % 3 !== 1);
			}
		};
		await runBatch(100);
		collect();
		const hostHeapBefore = process.memoryUsage().heapUsed;
		const workerHeapBefore = await measureSandboxHeap();
		const statsBefore = sandboxEngineStats();
		await runBatch(500);
		collect();
		const hostGrowth = process.memoryUsage().heapUsed - hostHeapBefore;
		const workerGrowth = (await measureSandboxHeap()) - workerHeapBefore;
		const statsAfter = sandboxEngineStats();
		console.info(
			`500 runs: host heap ${(hostGrowth / 1024).toFixed(0)} KiB, worker heap ${(workerGrowth / 1024).toFixed(0)} KiB, WASM ${statsAfter.wasmMemoryBytes / MIB} MiB`,
		);
		expect(hostGrowth).toBeLessThan(2 * MIB);
		expect(workerGrowth).toBeLessThan(2 * MIB);
		// A leaked runtime or handle fills the WASM heap until the cap retires the engine.
		expect(statsAfter.workersStarted).toBe(statsBefore.workersStarted);
		expect(statsAfter.enginesCreated).toBe(statsBefore.enginesCreated);
		expect(statsAfter.wasmMemoryBytes).toBe(statsBefore.wasmMemoryBytes);
	});

	it("rejects invalid limits", async () => {
		await expect(runInSandbox("1", { timeLimitMs: 0 })).rejects.toThrow(RangeError);
		await expect(runInSandbox("1", { memoryLimitBytes: Number.NaN })).rejects.toThrow(RangeError);
		await expect(runInSandbox("1", { stackSizeBytes: 64 * MIB })).rejects.toThrow(/at most/);
	});
});
