// Log lines stay one bounded, well-formed line whatever a value holds. Strings
// were cut at 8 KiB each, but nothing bounded a line: a message, an error's
// message or stack, an array of a client's arguments (up to a million items in
// one body), an object with 200,000 keys or a long key name each went out whole,
// a sparse array of a billion slots blocked the loop for 17 s formatting 250 MB,
// and a field whose getter (or proxy) threw lost its JSON line (an attacker
// review, 2026-11-26).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatJsonLine, formatPrettyLine, loggableUrl } from "../../src/common/log-format.js";
import { actor, createLogger, memoryDriver, type StorageDriver, setup } from "../../src/index.js";
import { startChildServer } from "../helpers/child-server.js";

const TIME = Date.UTC(2026, 10, 26, 3, 4, 5, 6);
/** The most characters a line may take (values are cut well before it). */
const LINE_LIMIT = 256 * 1024;

type Format = "json" | "pretty";
const formats: Format[] = ["json", "pretty"];

function line(format: Format, message: string, fields: Record<string, unknown>): string {
	return format === "json"
		? formatJsonLine(TIME, "info", message, fields)
		: formatPrettyLine(TIME, "info", message, fields, false);
}

/** Hostile values, each of which made a line of megabytes (or took seconds). */
const hostile: Record<string, () => [string, Record<string, unknown>]> = {
	"a 5 MB message": () => ["m".repeat(5_000_000), {}],
	"an error with a 5 MB message": () => ["failed", { error: new Error("e".repeat(5_000_000)) }],
	"an error with a 1 MB name": () => {
		const error = new Error("x");
		error.name = "n".repeat(1_000_000);
		return ["failed", { error }];
	},
	"a million arguments": () => ["got", { args: Array.from({ length: 1_000_000 }, (_, i) => i) }],
	"a thousand 8 KiB strings": () => [
		"got",
		{ args: Array.from({ length: 1000 }, () => "s".repeat(8192)) },
	],
	"200,000 keys": () => [
		"got",
		{ value: Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, "v"])) },
	],
	"a 3 MB key name": () => ["got", { value: { ["K".repeat(3_000_000)]: 1 } }],
	"a 3 MB field name": () => ["got", { ["F".repeat(3_000_000)]: 1 }],
	"100,000 fields": () => [
		"got",
		Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`f${i}`, i])),
	],
	"control characters, which escaping makes six times longer": () => [
		"\u0001".repeat(100_000),
		{ args: Array.from({ length: 100 }, () => "\u009b\u2028".repeat(50_000)) },
	],
	"a billion-slot sparse array": () => ["got", { value: new Array(1_000_000_000) }],
	"a map and a set of a million entries": () => [
		"got",
		{
			map: new Map(Array.from({ length: 1_000_000 }, (_, i) => [i, i])),
			set: new Set(Array.from({ length: 1_000_000 }, (_, i) => i)),
		},
	],
	"one array shared a million times over": () => {
		// Not circular, so each path is walked: 6^8 leaves.
		const root: unknown[] = [];
		let level = root;
		for (let depth = 0; depth < 8; depth++) {
			const next: unknown[] = [];
			for (let i = 0; i < 6; i++) level.push(next);
			level = next;
		}
		return ["got", { root }];
	},
};

describe("a log line whatever its values", () => {
	for (const [name, make] of Object.entries(hostile)) {
		for (const format of formats) {
			it(`stays one bounded ${format} line with ${name}`, () => {
				const [message, fields] = make();
				const started = performance.now();
				const text = line(format, message, fields);
				const ms = performance.now() - started;
				expect(text.length).toBeLessThan(LINE_LIMIT);
				expect(text).not.toContain("\n");
				if (format === "json") expect(() => JSON.parse(text)).not.toThrow();
				// Generous for a slow machine: the unbounded version took seconds.
				expect(ms).toBeLessThan(1_000);
			});
		}
	}

	it("shows what was cut", () => {
		const parsed = JSON.parse(
			line("json", "m".repeat(20_000), {
				args: Array.from({ length: 5000 }, (_, i) => i),
				error: new Error("e".repeat(20_000)),
			}),
		);
		expect(parsed.msg).toMatch(/^m+…$/);
		expect(parsed.msg.length).toBeLessThan(20_000);
		expect(parsed.args.at(-1)).toMatch(/^… \d+ more$/);
		expect(parsed.args.length).toBeLessThan(5000);
		expect(parsed.error.message).toMatch(/^e+…$/);
		// Small values are untouched.
		expect(JSON.parse(line("json", "hi", { args: [1, "two", { three: 3 }] }))).toMatchObject({
			msg: "hi",
			args: [1, "two", { three: 3 }],
		});
	});

	it("keeps the line when a field's getter or proxy throws", () => {
		const unreadable = {
			message: Object.defineProperty(new Error("x"), "message", {
				get() {
					throw new Error("getter");
				},
			}),
			keys: new Proxy(
				{},
				{
					ownKeys() {
						throw new Error("ownKeys");
					},
				},
			),
			prototype: new Proxy(
				{},
				{
					getPrototypeOf() {
						throw new Error("getPrototypeOf");
					},
				},
			),
		};
		const shown = {
			message: { name: "Error", message: "[Unreadable]" },
			keys: "[Unreadable]",
			prototype: "[Unreadable]",
		};
		for (const format of formats) {
			for (const [name, value] of Object.entries(unreadable)) {
				const text = line(format, "kept", { requestId: "r1", [name]: value });
				expect(text).toContain("[Unreadable]");
				if (format === "json") {
					expect(JSON.parse(text)).toMatchObject({
						msg: "kept",
						requestId: "r1",
						[name]: shown[name as keyof typeof shown],
					});
				} else expect(text).toContain("kept requestId=r1");
			}
		}
	});
});

describe("a server's log lines", () => {
	it("stay bounded when an actor logs what a client sent", async () => {
		const written: Record<Format, string[]> = { json: [], pretty: [] };
		const echo = actor({
			state: {},
			actions: {
				// What many actors do: log what they were given.
				shout: (c, lines: string[]) => {
					c.log.info("shouted", { lines });
					return lines.length;
				},
			},
		});
		const registry = setup({
			use: { echo },
			storage: memoryDriver(),
			logger: createLogger({
				level: "info",
				sink: (level, message, fields) => {
					for (const format of formats) {
						written[format].push(
							format === "json"
								? formatJsonLine(Date.now(), level, message, fields)
								: formatPrettyLine(Date.now(), level, message, fields, false),
						);
					}
				},
			}),
		});
		const server = await registry.start({ port: 0, host: "127.0.0.1" });
		try {
			// 4,000 strings of 2 KiB: an 8 MB body, well within the body limit.
			const lines = Array.from({ length: 4000 }, (_, i) => `${i}\n${"x".repeat(2048)}`);
			const response = await fetch(
				`${server.url}/gateway/echo/action/shout?rvt-method=getOrCreate&rvt-key=a`,
				{
					method: "POST",
					headers: { "content-type": "application/json" },
					body: JSON.stringify({ args: [lines] }),
				},
			);
			expect(await response.json()).toEqual({ output: 4000 });
		} finally {
			await server.close();
		}
		for (const format of formats) {
			const shouted = written[format].filter((text) => text.includes("shouted"));
			expect(shouted).toHaveLength(1);
			expect(shouted[0]?.length).toBeLessThan(LINE_LIMIT);
			expect(shouted[0]).not.toContain("\n");
		}
		expect(JSON.parse(written.json.find((text) => text.includes("shouted")) ?? "")).toMatchObject({
			msg: "shouted",
			actor: "echo",
			key: ["a"],
		});
	});
});

describe("a request URL in a log line", () => {
	// server-core.ts logs `request failed` with the URL of a request that failed with an
	// internal error (a storage outage fails every request): with the client's token in it.
	it("hides a gateway address's token and every query value", () => {
		const secret = "SUPERSECRET-TOKEN-1234567890";
		const urls = [
			`http://h/gateway/box/action/inc?rvt-method=getOrCreate&rvt-key=a&rvt-token=${secret}`,
			`http://h/gateway/h4galkg472lth8e8@${secret}/action/inc`,
			`http://h/api/gateway/h4galkg472lth8e8%40${secret}/request/x?a=${secret}`,
			`http://h/gateway/h4galkg472lth8e8%40${secret}`,
		];
		for (const url of urls) expect(loggableUrl(url)).not.toContain(secret);
		expect(loggableUrl(urls[0] as string)).toBe(
			"http://h/gateway/box/action/inc?rvt-method=[redacted]&rvt-key=[redacted]&rvt-token=[redacted]",
		);
		expect(loggableUrl(urls[1] as string)).toBe(
			"http://h/gateway/h4galkg472lth8e8@[redacted]/action/inc",
		);
		expect(loggableUrl("http://h/gateway/box/connect")).toBe("http://h/gateway/box/connect");
		// Linear on a long hostile path.
		const long = `http://h${"/gateway/".repeat(2000)}${"a".repeat(16_000)}`;
		const started = performance.now();
		loggableUrl(long);
		expect(performance.now() - started).toBeLessThan(100);
	});
});

describe("a server whose stderr reader left", () => {
	// The default sink wrote to a stderr whose pipe was closed (a log collector restarted,
	// `server | head`): Node emits EPIPE as an 'error' event nobody heard, and the next
	// line a client's request made took the process down (an uncaught exception).
	it("keeps serving, its lines lost", async () => {
		const fixture = join(import.meta.dirname, "..", "logs", "fixtures", "log-server.ts");
		const server = await startChildServer(fixture, {
			TENON_LOG_LEVEL: "info",
			TENON_LOG_FORMAT: "json",
		});
		try {
			server.process.stderr?.destroy();
			for (let i = 0; i < 20; i++) {
				const response = await fetch(
					`${server.url}/gateway/echo/action/shout?rvt-method=getOrCreate&rvt-key=k`,
					{
						method: "POST",
						headers: { "content-type": "application/json" },
						body: JSON.stringify({ args: [`line ${i} ${"x".repeat(4096)}`] }),
					},
				);
				expect(response.status).toBe(200);
				await response.text();
			}
			expect(server.process.exitCode).toBeNull();
		} finally {
			await server.kill();
		}
	});
});

describe("a failed request's log line", () => {
	// Before (2026-11-26) "request failed" logged the request's whole URL: a client's token in
	// `rvt-token` (or `/gateway/{id}@{token}`) went to the log of any internal error.
	it("leaves out the client's token", async () => {
		const secret = "SUPERSECRET-token-000111";
		const lines: string[] = [];
		const memory = memoryDriver();
		const failing: StorageDriver = {
			name: "failing",
			async open() {
				const handles = await memory.open();
				const broken = () => Promise.reject(new Error("disk unreadable"));
				return {
					...handles,
					directory: { ...handles.directory, getByKey: broken, getById: broken },
				};
			},
		};
		const echo = actor({ state: {}, actions: { ping: () => "pong" } });
		const registry = setup({
			use: { echo },
			storage: failing,
			logger: createLogger({
				level: "info",
				sink: (level, message, fields) => {
					lines.push(formatJsonLine(Date.now(), level, message, fields));
				},
			}),
		});
		const server = await registry.start({ port: 0, host: "127.0.0.1" });
		try {
			for (const path of [
				`/gateway/echo/action/ping?rvt-method=get&rvt-key=a&rvt-token=${secret}`,
				`/gateway/0123456789abcdef@${secret}/action/ping`,
			]) {
				const response = await fetch(`${server.url}${path}`, {
					method: "POST",
					headers: { "content-type": "application/json" },
					body: JSON.stringify({ args: [] }),
				});
				expect(response.status).toBe(500);
			}
		} finally {
			await server.close();
		}
		const failed = lines.filter((text) => text.includes("request failed"));
		expect(failed).toHaveLength(2);
		for (const text of failed) expect(text).not.toContain(secret);
	});
});
