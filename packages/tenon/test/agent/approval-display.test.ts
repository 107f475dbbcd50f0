// A call waiting for approval showed `JSON.stringify` of its checked input:
// a Map or Set a schema made showed as `{}`, a BigInt threw (and failed the
// turn), and nothing bounded its size. The person approving must see what runs.
// It was redacted as one text (a reviewer's probe, 2026-11-25): a private
// key's BEGIN in one string and its END in another hid the fields between,
// and a secret holding a quote, escaped first, was not caught.
import { describe, expect, it } from "vitest";
import { MAX_APPROVAL_CHARS, renderForApproval } from "../../src/agent/approval-display.js";
import { COMMON_SECRET_PATTERNS, Redactor } from "../../src/agent/redact.js";

const SECRET = "approval-secret-2b7e41";
const QUOTED = 'pa"ss\\word-7f3a9c';
const redactor = new Redactor({ secrets: [SECRET, QUOTED], patterns: COMMON_SECRET_PATTERNS });
const show = (value: unknown, maxChars?: number) => renderForApproval(value, redactor, maxChars);

describe("renderForApproval", () => {
	it("writes plain data exactly as JSON.stringify does", () => {
		const plain = { orderId: "A-1001", n: 3, ok: true, none: null, list: [1, "two", { x: [] }] };
		expect(show(plain)).toBe(JSON.stringify(plain));
		expect(show({ skipped: undefined, kept: 1 })).toBe('{"kept":1}');
		expect(show([undefined, 2])).toBe("[null,2]");
		expect(show('quote " and \\ and\nnewline')).toBe(JSON.stringify('quote " and \\ and\nnewline'));
	});

	it("shows a Map as an object (or as entries, for keys that are not strings) and a Set as an array", () => {
		expect(
			show({
				to: new Map([
					["ann", 60],
					["bob", 40],
				]),
			}),
		).toBe('{"to":{"ann":60,"bob":40}}');
		expect(
			show(
				new Map<unknown, unknown>([
					[1, "one"],
					[{ id: 2 }, new Set(["a"])],
				]),
			),
		).toBe('[[1,"one"],[{"id":2},["a"]]]');
		expect(show({ tags: new Set(["rent", "june"]) })).toBe('{"tags":["rent","june"]}');
	});

	it("shows an Error as its name, message and own fields, not as {} (nor its stack)", () => {
		const error = Object.assign(new RangeError("amount over the limit"), { code: "too_much" });
		expect(show({ failed: error })).toBe(
			'{"failed":{"name":"RangeError","message":"amount over the limit","code":"too_much"}}',
		);
	});

	it("shows a BigInt as a string of its digits, dates, bytes and numbers JSON has no form for", () => {
		expect(show({ cents: 123456789012345678901n })).toBe('{"cents":"123456789012345678901"}');
		expect(show({ at: new Date(Date.UTC(2026, 0, 2)) })).toBe('{"at":"2026-01-02T00:00:00.000Z"}');
		expect(show(Uint8Array.of(1, 255))).toBe('"<2 bytes: 01ff>"');
		expect(show([Number.NaN, Number.POSITIVE_INFINITY])).toBe("[NaN,Infinity]");
		expect(show({ url: new URL("https://example.com/a") })).toBe('{"url":"https://example.com/a"}');
	});

	it("shows a value met again inside itself as [circular], and a shared one in full", () => {
		const loop: Record<string, unknown> = { name: "loop" };
		loop.self = loop;
		const map = new Map<string, unknown>();
		map.set("me", map);
		expect(show(loop)).toBe('{"name":"loop","self":"[circular]"}');
		expect(show(map)).toBe('{"me":"[circular]"}');
		const shared = { n: 1 };
		expect(show([shared, shared])).toBe('[{"n":1},{"n":1}]');
	});

	it("is bounded, and says where it was cut", () => {
		const long = show({ text: "x".repeat(1_000_000) });
		expect(long.length).toBeLessThan(MAX_APPROVAL_CHARS + 40);
		expect(long).toMatch(/… \[cut at 16000 characters\]$/);
		// Built before the clock starts: under load, building it took longer than the bound.
		const huge = new Map(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, new Set([i])]));
		const started = performance.now();
		const many = show(huge);
		expect(performance.now() - started).toBeLessThan(500);
		expect(many.length).toBeLessThan(MAX_APPROVAL_CHARS + 40);
		let deep: unknown = "bottom";
		for (let i = 0; i < 10_000; i++) deep = [deep];
		expect(show(deep)).toContain('"[too deep]"');
	});

	it("hides secrets, one the cut crosses too", () => {
		expect(show({ key: SECRET, in: new Map([[SECRET, 1]]) })).toBe(
			'{"key":"[redacted]","in":{"[redacted]":1}}',
		);
		const crossing = show({ text: `${"x".repeat(40)}${SECRET}` }, 50);
		expect(crossing).not.toContain(SECRET.slice(0, 4));
		expect(crossing).toMatch(/… \[cut at 50 characters\]$/);
	});

	it("redacts string by string: no match from one string into another hides a field", () => {
		const input = {
			reason: "rent -----BEGIN PRIVATE KEY-----",
			cents: 99_999_999,
			to: "mallory",
			memo: "-----END PRIVATE KEY----- thanks",
		};
		expect(show(input)).toBe(JSON.stringify(input));
		expect(show({ password: QUOTED, [QUOTED]: 1, n: 424242n })).toBe(
			'{"password":"[redacted]","[redacted]":1,"n":"424242"}',
		);
	});

	it("shows characters that hide or reorder text as their escapes, still the same JSON value", () => {
		const input = {
			iban: "DE89\u202e3704 0044\u202c",
			note: "pay\u200bnow\u{e0041}\ufeff",
			"\u2066key": "x\u00ady",
		};
		const shown = show(input);
		expect(shown).toBe(
			'{"iban":"DE89\\u202e3704 0044\\u202c","note":"pay\\u200bnow\\udb40\\udc41\\ufeff","\\u2066key":"x\\u00ady"}',
		);
		expect(JSON.parse(shown)).toEqual(input);
		expect(show("plain, accents é and emoji 👍 kept")).toBe('"plain, accents é and emoji 👍 kept"');
		// Every format character (Unicode's Cf), not only a list of the usual ones (a review).
		expect(show("a\u{1d173}b\u2029c")).toBe('"a\\ud834\\udd73b\\u2029c"');
	});
});
