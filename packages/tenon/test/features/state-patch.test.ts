// The patches shared state travels as: applying the diff of two values to
// the first gives the second, for any values synced state may hold.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyPatch, diffValues, sameValue } from "../../src/protocol/state-patch.js";

const leaf = fc.oneof(
	fc.integer(),
	fc.double({ noNaN: true }),
	fc.string(),
	fc.boolean(),
	fc.constant(null),
	fc.bigInt(),
	fc.date({ noInvalidDate: true }),
	fc.uint8Array({ maxLength: 4 }),
);
const value = fc.letrec((tie) => ({
	node: fc.oneof(
		{ depthSize: "small" },
		leaf,
		fc.array(tie("node"), { maxLength: 5 }),
		fc.dictionary(fc.string({ maxLength: 4 }), tie("node"), { maxKeys: 5 }),
		fc
			.array(fc.tuple(fc.string({ maxLength: 3 }), tie("node")), { maxLength: 3 })
			.map((pairs) => new Map(pairs)),
		fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }).map((items) => new Set(items)),
	),
})).node;

describe("state patches", () => {
	it("apply(before, diff(before, after)) equals after, without changing before", () => {
		fc.assert(
			fc.property(value, value, (before, after) => {
				const copy = structuredClone(before);
				const result = applyPatch(before, diffValues(before, after));
				expect(sameValue(result, after)).toBe(true);
				expect(sameValue(before, copy)).toBe(true);
			}),
			{ numRuns: 500 },
		);
	});

	it("is empty for equal values and small for a small change", () => {
		const state = { notes: Array.from({ length: 1000 }, (_, i) => ({ i, text: `note ${i}` })) };
		expect(diffValues(state, structuredClone(state))).toEqual([]);
		const next = structuredClone(state);
		next.notes.push({ i: 1000, text: "new" });
		(next.notes[3] as { text: string }).text = "edited";
		expect(diffValues(state, next)).toEqual([
			{ op: "s", path: ["notes", 3, "text"], value: "edited" },
			{ op: "a", path: ["notes"], items: [{ i: 1000, text: "new" }] },
		]);
	});

	it("keeps `__proto__` a plain key and refuses patches that do not fit", () => {
		const before = JSON.parse('{"a": {}}');
		const after = JSON.parse('{"a": {"__proto__": {"polluted": true}}}');
		const result = applyPatch(before, diffValues(before, after)) as { a: object };
		expect(Object.getPrototypeOf(result.a)).toBe(Object.prototype);
		expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
		expect(() => applyPatch([1], [{ op: "s", path: [5], value: 1 }])).toThrow(TypeError);
		expect(() => applyPatch("x", [{ op: "a", path: [], items: [1] }])).toThrow(TypeError);
	});
});
