import { describe, expect, it } from "vitest";
import { escapeControl, formatJsonLine, formatPrettyLine } from "../../src/common/log-format.js";
import { createLogger, type LogFields, parseLogLevels } from "../../src/common/logger.js";

/** The characters of `unsafe` that occur raw in `line`. */
function rawControls(line: string | undefined, unsafe: string): string[] {
	return [...unsafe].filter((c) => line?.includes(c));
}

const TIME = Date.UTC(2026, 0, 2, 3, 4, 5, 6);

/** A logger whose lines land in an array. */
function capture(options: Parameters<typeof createLogger>[0] = {}) {
	const lines: { level: string; message: string; fields: LogFields }[] = [];
	const logger = createLogger({
		...options,
		sink: (level, message, fields) => lines.push({ level, message, fields }),
	});
	return { logger, lines };
}

describe("JSON lines", () => {
	it("writes time, level, module, msg, then actor, key, actorId, requestId, then the rest", () => {
		const line = formatJsonLine(TIME, "info", "hello", {
			extra: 1,
			requestId: "r1",
			actorId: "a1",
			key: ["k"],
			actor: "counter",
			module: "actor",
		});
		expect(Object.keys(JSON.parse(line))).toEqual([
			"time",
			"level",
			"module",
			"msg",
			"actor",
			"key",
			"actorId",
			"requestId",
			"extra",
		]);
		expect(JSON.parse(line)).toMatchObject({
			time: "2026-01-02T03:04:05.006Z",
			level: "info",
			msg: "hello",
			key: ["k"],
		});
	});

	it("serialises errors with name, message, stack, code and cause", () => {
		const cause = new Error("root");
		const error = Object.assign(new TypeError("bad thing", { cause }), { code: "E_BAD" });
		const parsed = JSON.parse(formatJsonLine(TIME, "error", "failed", { error }));
		expect(parsed.error).toMatchObject({ name: "TypeError", message: "bad thing", code: "E_BAD" });
		expect(parsed.error.stack).toContain("bad thing");
		expect(parsed.error.cause).toMatchObject({ name: "Error", message: "root" });
	});

	it("survives bigints, circular values, throwing getters and odd numbers", () => {
		const circular: Record<string, unknown> = { name: "loop" };
		circular.self = circular;
		const shared = { n: 1 };
		const hostile = {
			get boom(): never {
				throw new Error("getter");
			},
		};
		const line = formatJsonLine(TIME, "info", "odd", {
			big: 2n ** 70n,
			circular,
			twice: [shared, shared],
			hostile,
			nan: Number.NaN,
			fn: function named() {},
			sym: Symbol("s"),
			map: new Map([["a", 1]]),
			date: new Date(TIME),
		});
		const parsed = JSON.parse(line);
		expect(parsed.big).toBe("1180591620717411303424");
		expect(parsed.circular).toEqual({ name: "loop", self: "[Circular]" });
		expect(parsed.twice).toEqual([{ n: 1 }, { n: 1 }]);
		expect(parsed.hostile).toEqual({ boom: "[Unreadable]" });
		expect(parsed.nan).toBe("NaN");
		expect(parsed.fn).toBe("[Function named]");
		expect(parsed.map).toEqual([["a", 1]]);
		expect(parsed.date).toBe("2026-01-02T03:04:05.006Z");
	});

	it("keeps fields named like the line's own keys apart", () => {
		const parsed = JSON.parse(formatJsonLine(TIME, "warn", "m", { level: 3, msg: "x", time: 1 }));
		expect(parsed.level).toBe("warn");
		expect(parsed.msg).toBe("m");
		expect(parsed["field.level"]).toBe(3);
		expect(parsed["field.msg"]).toBe("x");
	});

	it("keeps a hostile key on one line that parses back to the same key", () => {
		const key = ['a"\n{"level":"error","msg":"forged"}', "\u001b[31mred\u2028x\u009b2J\u202e"];
		const line = formatJsonLine(TIME, "info", "m\nforged", { key, actor: "c" });
		expect(rawControls(line, "\n\r\u2028\u2029\u001b\u009b\u202e")).toEqual([]);
		const parsed = JSON.parse(line);
		expect(parsed.key).toEqual(key);
		expect(parsed.msg).toBe("m\nforged");
	});
});

describe("invisible characters", () => {
	it("escapes direction marks, zero-width characters and the BOM in JSON and pretty lines", () => {
		// A probe, 2026-11-27: LRM, RLM, ALM, ZWSP and the BOM went out raw.
		const hidden = "\u200e\u200f\u061c\u200b\u200d\u2060\ufeff";
		const text = `admin${hidden}@bank.com`;
		const json = formatJsonLine(TIME, "info", text, { key: [text], [text]: text });
		expect(rawControls(json, hidden)).toEqual([]);
		expect(JSON.parse(json).msg).toBe(text);
		const pretty = formatPrettyLine(TIME, "info", text, { key: [text], [text]: text }, false);
		expect(rawControls(pretty, hidden)).toEqual([]);
		expect(pretty).toContain("\\u200e");
	});
});

describe("pretty lines", () => {
	it("shows level, module, message and fields", () => {
		const line = formatPrettyLine(
			TIME,
			"warn",
			"slow turn",
			{ module: "runtime", actor: "counter", key: ["a b"], ms: 12, note: "has space" },
			false,
		);
		expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}runtime {2}slow turn /);
		expect(line).toContain('actor=counter key=["a b"] ms=12 note="has space"');
	});

	it("escapes newlines and ANSI escapes in messages, keys and field names", () => {
		const key = ["x\nINFO  runtime  forged line", "\u001b[2J\u001b[31m", "\u009b31m"];
		const line = formatPrettyLine(
			TIME,
			"info",
			"m\r\nFAKE",
			{ key, "bad\nname": "v\u001b]0;title\u0007" },
			false,
		);
		expect(rawControls(line, "\n\r\u001b\u0007\u009b")).toEqual([]);
		expect(line).toContain("m\\r\\nFAKE");
		expect(line).toContain("\\u001b[2J");
		expect(line).toContain('"bad\\nname"=');
		expect(line).toContain("\\u009b31m");
	});

	it("colours only the parts Tenon writes", () => {
		const line = formatPrettyLine(
			TIME,
			"error",
			"boom",
			{ module: "server", v: "\u001b[0m" },
			true,
		);
		expect(line).toContain("\u001b[31mERROR");
		expect(line).toContain(`v=\u001b[0m"\\u001b[0m"`);
	});

	it("writes an error as its stack on the same line", () => {
		const line = formatPrettyLine(
			TIME,
			"error",
			"failed",
			{ error: new Error("bad\nthing") },
			false,
		);
		expect(line.split("\n")).toHaveLength(1);
		expect(line).toContain("Error: bad\\nthing");
	});

	it("escapeControl leaves printable text alone", () => {
		expect(escapeControl("héllo wörld ✓")).toBe("héllo wörld ✓");
		expect(escapeControl("\u202eevil")).toBe("\\u202eevil");
	});
});

describe("levels per module", () => {
	it("parses TENON_LOG_LEVEL-style text", () => {
		expect(parseLogLevels("info,runtime=debug, cluster = warn,bogus=loud,nope")).toEqual({
			default: "info",
			runtime: "debug",
			cluster: "warn",
		});
		expect(parseLogLevels("warn")).toEqual({ default: "warn" });
	});

	// An operator's walkthrough, 2026-11-29: `DEBUG`, `warning` or a typo were dropped without
	// a word, and the level stayed info.
	it("takes levels in any case and `warning`, and says which entries it ignored", () => {
		const ignored: string[] = [];
		expect(parseLogLevels("DEBUG,Runtime=Warning,db=loud,,verbose", ignored)).toEqual({
			default: "debug",
			Runtime: "warn",
		});
		expect(ignored).toEqual(["db=loud", "verbose"]);
		const before = process.env.TENON_LOG_LEVEL;
		process.env.TENON_LOG_LEVEL = "info,runtime=loud";
		try {
			const { lines } = capture({});
			expect(lines).toEqual([
				expect.objectContaining({
					level: "warn",
					message: expect.stringContaining("TENON_LOG_LEVEL: entries ignored"),
					fields: { ignored: ["runtime=loud"] },
				}),
			]);
		} finally {
			if (before === undefined) delete process.env.TENON_LOG_LEVEL;
			else process.env.TENON_LOG_LEVEL = before;
		}
	});

	it("filters each module at its own level; children pick up their module's level", () => {
		const { logger, lines } = capture({
			level: "warn",
			levels: { runtime: "debug", db: "silent" },
		});
		const runtime = logger.child({ module: "runtime" });
		runtime.debug("runtime debug");
		logger.child({ module: "server" }).info("server info");
		logger.child({ module: "server" }).warn("server warn");
		runtime.child({ module: "db" }).error("db error");
		runtime.child({ actorId: "a" }).debug("still runtime");
		expect(lines.map((line) => line.message)).toEqual([
			"runtime debug",
			"server warn",
			"still runtime",
		]);
		expect(lines[2]?.fields).toEqual({ module: "runtime", actorId: "a" });
	});

	it("lets a `default` entry set the default level", () => {
		const { logger, lines } = capture({ levels: { default: "error", actor: "info" } });
		logger.warn("dropped");
		logger.child({ module: "actor" }).info("kept");
		expect(lines.map((line) => line.message)).toEqual(["kept"]);
	});

	it("never throws from a line, even when the sink does", () => {
		const logger = createLogger({
			sink: () => {
				throw new Error("sink broke");
			},
		});
		expect(() => logger.error("x", { big: 1n })).not.toThrow();
	});

	it("does no work for a filtered line (the fields are never read)", () => {
		const { logger, lines } = capture({ level: "info" });
		let reads = 0;
		const fields = {
			get costly() {
				reads++;
				return 1;
			},
		};
		for (let i = 0; i < 1000; i++) logger.debug("filtered", fields);
		expect(reads).toBe(0);
		expect(lines).toHaveLength(0);
	});
});
