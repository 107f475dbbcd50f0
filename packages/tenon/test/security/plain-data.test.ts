import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cborEncode, decodeValue } from "../../src/protocol/encoding.js";
import { findNotPlain } from "../../src/protocol/plain-data.js";

/** A member of a one-level value: plain or not, nested or not. */
const member = fc.oneof(
	fc.anything({ maxDepth: 1 }),
	fc.constantFrom<unknown>(
		() => 1,
		Symbol("s"),
		/regexp/,
		new Date(0),
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
	fc
		.dictionary(fc.string({ maxLength: 4 }), member, { maxKeys: 3 })
		.map((value) => Object.defineProperty(value, "__proto__", { value: 1, enumerable: true })),
	fc.array(member, { maxLength: 3 }).map((items) => Object.setPrototypeOf(items, null) as unknown),
);

describe("findNotPlain's shortcut for flat values", () => {
	it("finds exactly what the full walk finds", () => {
		fc.assert(
			fc.property(oneLevel, fc.boolean(), (value, rejectShared) => {
				// Behind a nested array the shortcut never applies: `value` is walked in full, first.
				const walked = findNotPlain([value, [{}]], "v", rejectShared);
				const expected =
					walked === undefined
						? undefined
						: { path: `v${walked.path.slice("v[0]".length)}`, what: walked.what };
				expect(findNotPlain(value, "v", rejectShared)).toEqual(expected);
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
