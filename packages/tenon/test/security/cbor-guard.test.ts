// The CBOR pre-check on its own: it accepts what the encoder writes, refuses
// every cut-short value, counts nesting right through indefinite containers
// and tags, and keeps no state from one input to the next (it reuses one
// stack for every call).
import { Encoder } from "cbor-x";
import fc from "fast-check";
import { expect, it } from "vitest";
import { cborProblem, MAX_CBOR_DEPTH } from "../../src/protocol/cbor-guard.js";
import {
	jsonProblem,
	MAX_VALUE_CONTAINERS,
	MAX_VALUE_ITEMS,
} from "../../src/protocol/value-limits.js";

const encoder = new Encoder({ useRecords: false, pack: false, tagUint8Array: false });
const value = fc.jsonValue({ maxDepth: 6 });

it("accepts any encoded value, refuses every strict prefix of it, and a refusal leaves nothing behind", () => {
	fc.assert(
		fc.property(value, fc.integer({ min: 0, max: 1_000 }), (v, cutAt) => {
			const bytes = encoder.encode(v);
			expect(cborProblem(bytes)).toBeUndefined();
			const cut = cutAt % bytes.length;
			if (cut > 0) expect(cborProblem(bytes.subarray(0, cut))).toBeDefined();
			// After a refusal deep inside a value, the same bytes read as before.
			expect(cborProblem(bytes)).toBeUndefined();
		}),
		{ numRuns: 400 },
	);
});

it("counts nesting through arrays, indefinite arrays and tags alike", () => {
	const nested = (depth: number, open: readonly number[], close: readonly number[] = []) =>
		Uint8Array.from([
			...Array.from({ length: depth }, () => open).flat(),
			0x01,
			...Array.from({ length: depth }, () => close).flat(),
		]);
	for (const [open, close] of [
		[[0x81], []], // definite arrays of one item
		[[0x9f], [0xff]], // indefinite arrays, each closed by a break
		[[0xc1], []], // tag 1, wrapping one item
	] as const) {
		expect(cborProblem(nested(MAX_CBOR_DEPTH, open, close))).toBeUndefined();
		expect(cborProblem(nested(MAX_CBOR_DEPTH + 1, open, close))).toBe("nesting too deep");
		// A deep refusal does not leak into the next, shallow input.
		expect(cborProblem(Uint8Array.from([0x82, 0x01, 0x02]))).toBeUndefined();
	}
});

it("finishes containers an indefinite one completes, and refuses stray or missing breaks", () => {
	// [[_ 1, 2], 3]: the indefinite array is one item of the outer one.
	expect(cborProblem(Uint8Array.from([0x82, 0x9f, 0x01, 0x02, 0xff, 0x03]))).toBeUndefined();
	expect(cborProblem(Uint8Array.from([0x82, 0x9f, 0x01, 0x02, 0xff]))).toBe(
		"the input ends inside a value",
	);
	expect(cborProblem(Uint8Array.from([0x01, 0xff]))).toBe("an unexpected break");
	expect(cborProblem(Uint8Array.from([0x81, 0xff]))).toBe("an unexpected break");
	expect(cborProblem(Uint8Array.from([0x9f, 0x01]))).toBe("the input ends inside a value");
	// Indefinite text: chunks until a break.
	expect(cborProblem(Uint8Array.from([0x7f, 0x61, 0x61, 0x61, 0x62, 0xff]))).toBeUndefined();
});

it("counts a value's items and containers against their limits, in CBOR and in JSON", () => {
	/** An array of `count` copies of `item` (CBOR: a 4-byte length). */
	const cborArray = (count: number, item: number[]) =>
		Uint8Array.from([
			0x9a,
			...[24, 16, 8, 0].map((s) => (count >>> s) & 0xff),
			...Array.from({ length: count }, () => item).flat(),
		]);
	// The outer array counts as one container and one item.
	expect(cborProblem(cborArray(MAX_VALUE_CONTAINERS - 1, [0x80]), true)).toBeUndefined();
	expect(cborProblem(cborArray(MAX_VALUE_CONTAINERS, [0x80]), true)).toMatch(/arrays and maps/);
	expect(cborProblem(cborArray(MAX_VALUE_ITEMS - 1, [0x00]), true)).toBeUndefined();
	expect(cborProblem(cborArray(MAX_VALUE_ITEMS, [0x00]), true)).toMatch(/items/);
	// Only values from clients are counted (a client reads replies up to their byte limit).
	expect(cborProblem(cborArray(MAX_VALUE_ITEMS, [0x00]))).toBeUndefined();
	// Map keys are items too; a map is a container.
	expect(cborProblem(Uint8Array.from([0xb9, 0x00, 0x01, 0x00, 0x00]), true)).toBeUndefined();

	const jsonArray = (count: number, item: string) =>
		`[${Array.from({ length: count }, () => item).join(",")}]`;
	expect(jsonProblem(jsonArray(MAX_VALUE_CONTAINERS - 1, "{}"))).toBeUndefined();
	expect(jsonProblem(jsonArray(MAX_VALUE_CONTAINERS, "[]"))).toMatch(/arrays and maps/);
	expect(jsonProblem(jsonArray(MAX_VALUE_ITEMS - 1, "0"))).toBeUndefined();
	expect(jsonProblem(jsonArray(MAX_VALUE_ITEMS + 1, "0"))).toMatch(/items/);
	// An object's keys count as items, as in CBOR.
	const pairs = (count: number) =>
		`{${Array.from({ length: count }, (_, i) => `"${i}":0`).join(",")}}`;
	expect(jsonProblem(pairs(MAX_VALUE_ITEMS / 2 - 1))).toBeUndefined();
	expect(jsonProblem(pairs(MAX_VALUE_ITEMS / 2 + 1))).toMatch(/items/);
	// Brackets, braces and commas inside strings (escaped quotes too) do not count.
	const text = JSON.stringify(['[{,\\"'.repeat(MAX_VALUE_ITEMS)]);
	expect(jsonProblem(text)).toBeUndefined();
});
