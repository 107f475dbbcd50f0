import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cborEncode, decodeValue } from "../../src/protocol/encoding.js";
import { wellFormedStrings } from "../../src/protocol/json-compat.js";
import { findNotPlain, fullWalk, MAX_PLAIN_DEPTH } from "../../src/protocol/plain-data.js";

/** A member of a one-level value: plain or not, nested or not. */
const member = fc.oneof(
	fc.anything({ maxDepth: 1 }),
	fc.constantFrom<unknown>(
		() => 1,
		Symbol("s"),
		/regexp/,
		new Date(0),
		new Date(Number.NaN),
		// Past ~141,000 years CBOR's seconds lose the millisecond.
		new Date(4_432_517_588_160_194),
		"\ud800",
		`${"x".repeat(70)}\udc00`,
		"\ud83d\ude00",
		new Uint8Array(2),
		new DataView(new ArrayBuffer(1)),
		new Map([[1, 2]]),
		new (class Custom {})(),
		Object.create(null),
	),
);

/** Arrays and objects one level deep, with a `__proto__` own key now and then. */
const oneLevel = fc.oneof(
	member,
	fc.array(member, { maxLength: 6 }),
	fc.dictionary(fc.string({ maxLength: 4 }), member, { maxKeys: 6 }),
	fc.dictionary(fc.constantFrom("a", "\udbff", "\ud83d\ude00"), member, { maxKeys: 3 }),
	fc
		.dictionary(fc.string({ maxLength: 4 }), member, { maxKeys: 3 })
		.map((value) => Object.defineProperty(value, "__proto__", { value: 1, enumerable: true })),
	fc.array(member, { maxLength: 3 }).map((items) => Object.setPrototypeOf(items, null) as unknown),
);

describe("findNotPlain's shortcut for flat values", () => {
	it("finds exactly what the full walk finds", () => {
		fc.assert(
			fc.property(oneLevel, fc.constantFrom("stored", "client"), (value, from) => {
				// Behind a nested array the shortcut never applies: `value` is walked in full, first.
				const walked = findNotPlain([value, [{}]], "v", from);
				const expected =
					walked === undefined
						? undefined
						: { path: `v${walked.path.slice("v[0]".length)}`, what: walked.what };
				expect(findNotPlain(value, "v", from)).toEqual(expected);
			}),
			{ numRuns: 2_000 },
		);
	});
});

describe("findNotPlain for values to store", () => {
	it("refuses what would read back changed, and lets a client's value through", () => {
		const cases: [unknown, string, string][] = [
			["\ud800", "v", "a string with a lone surrogate (it has no UTF-8 form)"],
			[
				{ a: [1, `ok${"\udc00"}`] },
				"v.a[1]",
				"a string with a lone surrogate (it has no UTF-8 form)",
			],
			[{ "k\ud800": 1 }, "v.k\ud800", "a key with a lone surrogate (it has no UTF-8 form)"],
			[{ n: { "\ud800": 1 } }, "v.n.\ud800", "a key with a lone surrogate (it has no UTF-8 form)"],
			[
				new Map([["\udfff", 1]]),
				"v.<key>",
				"a string with a lone surrogate (it has no UTF-8 form)",
			],
			[new Set(["\udfff"]), "v.<item>", "a string with a lone surrogate (it has no UTF-8 form)"],
			[
				{ when: new Date(-4_432_517_588_160_220) },
				"v.when",
				"a Date that CBOR cannot store to the millisecond (some past year 141,000)",
			],
		];
		for (const [value, path, what] of cases) {
			expect(findNotPlain(value, "v")).toEqual({ path, what });
			expect(findNotPlain(value, "v", "client")).toBeUndefined();
		}
	});

	it("reports, never throws, for a Map key without a prototype or a Date that is not one", () => {
		const key = Object.create(null) as object;
		expect(findNotPlain(new Map([[key, /x/]]), "v")).toEqual({
			path: "v.get(<object>)",
			what: "a RegExp instance",
		});
		const fake = Object.create(Date.prototype) as Date;
		expect(findNotPlain({ fake }, "v")?.path).toBe("v.fake");
		expect(findNotPlain({ fake }, "v", "encodable")).toBeUndefined();
	});

	it("answers at once for many references to one large array", () => {
		const big = Array.from({ length: 100_000 }, (_, i) => i);
		const value = Array.from({ length: 20_000 }, () => big);
		const started = performance.now();
		expect(findNotPlain(value, "v")).toBeUndefined();
		expect(performance.now() - started).toBeLessThan(2_000);
	});

	it("accepts well-formed text, invalid Dates and every Date CBOR holds exactly", () => {
		const fine = [
			"\ud83d\ude00 é 一",
			{ "\ud83d\ude00": ["\u{10ffff}"] },
			new Date(Number.NaN),
			new Date(8.64e15),
			new Date(-8.64e15),
			new Date(2 ** 42 * 1000 - 1),
			new Date(1_700_000_000_123),
		];
		for (const value of fine) expect(findNotPlain(value, "v")).toBeUndefined();
		// The rule is exactly "reads back the same" (cbor-x: Math.round(seconds * 1000)).
		fc.assert(
			fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (time) => {
				const date = new Date(time);
				const back = (decodeValue("cbor", cborEncode(date)) as Date).getTime();
				expect(findNotPlain(date, "v") === undefined).toBe(back === time);
			}),
			{ numRuns: 2_000 },
		);
	});
});

describe("findNotPlain's quick pass for values to store", () => {
	/** Values nested a few levels, with non-plain members, shared parts and cycles now and then. */
	const nested = fc
		.tuple(
			fc.anything({
				maxDepth: 3,
				withMap: true,
				withSet: true,
				withDate: true,
				withTypedArray: true,
			}),
			oneLevel,
			fc.nat(3),
		)
		.map(([base, extra, how]) => {
			if (how === 0) return [base, extra];
			if (how === 1) return { a: extra, b: extra, c: [base, extra] }; // shared
			if (how === 2) {
				const loop: Record<string, unknown> = { base, extra };
				loop.self = { back: loop }; // a cycle
				return loop;
			}
			return new Map<unknown, unknown>([[extra, base]]);
		});

	it("finds exactly what the full walk finds", () => {
		fc.assert(
			fc.property(nested, (value) => {
				expect(findNotPlain(value, "v")).toEqual(fullWalk(value, "v", "stored"));
			}),
			{ numRuns: 2_000 },
		);
	});

	it("agrees at the depth limit, and on a shared graph too large to walk as a tree", () => {
		const deep = (levels: number) => {
			let value: unknown = 1;
			for (let i = 0; i < levels; i++) value = [value];
			return value;
		};
		for (const levels of [MAX_PLAIN_DEPTH, MAX_PLAIN_DEPTH + 1, MAX_PLAIN_DEPTH + 2])
			expect(findNotPlain(deep(levels), "v")).toEqual(fullWalk(deep(levels), "v", "stored"));
		// 2^40 paths as a tree, 40 objects as a graph: answered at once.
		const graph = (leaf: unknown) => {
			let value: unknown = { leaf };
			for (let i = 0; i < 40; i++) value = { left: value, right: value };
			return value;
		};
		const started = performance.now();
		expect(findNotPlain(graph("fine"), "v")).toBeUndefined();
		expect(findNotPlain(graph("\ud800"), "v")?.what).toBe(
			"a string with a lone surrogate (it has no UTF-8 form)",
		);
		expect(performance.now() - started).toBeLessThan(1_000);
	});
});

describe("a JSON client's lone surrogates", () => {
	/** JSON text of an object whose keys and values hold escapes, surrogate or not. */
	const piece = fc.oneof(
		fc.string({ maxLength: 3 }).map((text) => JSON.stringify(text).slice(1, -1)),
		fc.constantFrom("\\ud800", "\\uDC12", "\\uD83D\\uDE00", "\\\\ud800", "\\u0041", "\\udBfF", "é"),
	);
	const text = fc.array(piece, { maxLength: 5 }).map((parts) => parts.join(""));
	const json = fc
		.array(fc.tuple(text, text), { maxLength: 4 })
		.map((pairs) => `{${pairs.map(([k, v]) => `"${k}":["${v}",{"${v}":"${k}"}]`).join(",")}}`);

	/** Every string and key of a parsed JSON value, made well-formed. */
	function expected(value: unknown): unknown {
		if (typeof value === "string") return value.toWellFormed();
		if (Array.isArray(value)) return value.map(expected);
		if (typeof value !== "object" || value === null) return value;
		const out: Record<string, unknown> = {};
		for (const [key, item] of Object.entries(value)) out[key.toWellFormed()] = expected(item);
		return out;
	}

	it("become U+FFFD, whether the JSON came as text or as bytes", () => {
		fc.assert(
			fc.property(json, (source) => {
				const want = expected(JSON.parse(source));
				expect(wellFormedStrings(JSON.parse(source), source)).toEqual(want);
				expect(wellFormedStrings(JSON.parse(source), new TextEncoder().encode(source))).toEqual(
					want,
				);
			}),
			{ numRuns: 2_000 },
		);
	});
});

/** True when `value` holds, anywhere, a two-element array starting with a `$` string. */
function holdsDollarPair(value: unknown): boolean {
	if (typeof value !== "object" || value === null) return false;
	if (Array.isArray(value)) {
		if (value.length === 2 && typeof value[0] === "string" && value[0].startsWith("$")) return true;
		return value.some(holdsDollarPair);
	}
	if (value instanceof Map)
		return [...value].some(([k, v]) => holdsDollarPair(k) || holdsDollarPair(v));
	if (value instanceof Set) return [...value].some(holdsDollarPair);
	return Object.values(value).some(holdsDollarPair);
}

describe("CBOR decoding skips the tag walk only when no `$` is in the bytes", () => {
	it("revives tagged values wherever they are, and leaves other values as decoded", () => {
		fc.assert(
			fc.property(
				fc.anything({ maxDepth: 3, withMap: true, withSet: true }),
				fc.bigInt(),
				(value, big) => {
					// A client escapes its own `$`-pairs (cborEncodeCompat); raw ones in `value` would be read as tags.
					fc.pre(!holdsDollarPair(value));
					const tagged = { value, big: ["$BigInt", big.toString()] };
					const decoded = decodeValue("cbor", cborEncode(tagged)) as { big: unknown };
					expect(decoded.big).toBe(big);
				},
			),
			{ numRuns: 300 },
		);
		// No `$` byte at all: returned as cbor-x decoded it.
		expect(decodeValue("cbor", cborEncode({ a: ["x", 1], b: [1, 2] }))).toEqual({
			a: ["x", 1],
			b: [1, 2],
		});
	});
});
