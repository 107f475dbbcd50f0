// A shared state's change reaches every subscriber as a patch, and the
// client applied each op by copying the nodes on its path again: a patch of n
// ops into an array of n items cost n². One item put in front of a
// 20,000-item array (20,001 ops, one action of anyone allowed to add an item)
// took each subscriber 4.5 s. A patch now copies a node once. And the
// server's diff wrote each op's whole path: the same change 500 levels deep
// (a value a client stored) made a 20 MB patch of a 61 KB value, 1 s of the
// loop at every commit; a patch that outgrows its value is now the value.
import { describe, expect, it } from "vitest";
import { applyPatch, diffValues, type PatchOp } from "../../src/protocol/state-patch.js";

describe("applying a patch of many ops", () => {
	it("an item put in front of a 20,000-item array: applied in well under a second, right and without changing the old value", () => {
		const items = Array.from({ length: 20_000 }, (_, i) => i);
		const before = { list: { items }, other: [1, 2] };
		const after = { list: { items: [-1, ...items] }, other: [1, 2] };
		// The ops an item put in front makes, one per index (diffValues now sends such a
		// change as one op; a patch from an older or hostile server may still hold them).
		const ops: PatchOp[] = after.list.items.map((value, i) =>
			i < items.length
				? { op: "s", path: ["list", "items", i], value }
				: { op: "a", path: ["list", "items"], items: [value] },
		);
		const started = performance.now();
		const applied = applyPatch(before, ops) as typeof after;
		// About 15 ms; 4.5 s when each op copied the array again.
		expect(performance.now() - started).toBeLessThan(300);
		expect(applied).toEqual(after);
		expect(before.list.items).toHaveLength(20_000);
		expect(before.list.items[0]).toBe(0);
		// What no op touched is shared, not copied.
		expect(applied.other).toBe(before.other);
	});

	it("ops that append, truncate, set and delete in one patch, on nodes it already copied", () => {
		const before = { a: [1, 2, 3], o: { x: 1, y: 2 } };
		const ops = [
			{ op: "s", path: ["a", 0], value: 9 },
			{ op: "a", path: ["a"], items: [4, 5] },
			{ op: "t", path: ["a"], length: 4 },
			{ op: "s", path: ["o", "z"], value: 3 },
			{ op: "d", path: ["o", "x"] },
			{ op: "s", path: ["o", "__proto__"], value: { polluted: true } },
		] as const;
		const applied = applyPatch(before, ops as never) as Record<string, unknown>;
		expect(applied.a).toEqual([9, 2, 3, 4]);
		expect(Object.keys(applied.o as object)).toEqual(["y", "z", "__proto__"]);
		expect(Object.getPrototypeOf(applied.o)).toBe(Object.prototype);
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		expect(before).toEqual({ a: [1, 2, 3], o: { x: 1, y: 2 } });
	});

	it("a diff whose paths outgrow the value sets the whole value, quickly", () => {
		const nest = (depth: number, leaf: unknown): unknown => {
			let value = leaf;
			for (let i = 0; i < depth; i++) value = { k: value };
			return value;
		};
		const items = Array.from({ length: 20_000 }, (_, i) => i);
		const before = { settings: nest(500, items) };
		const after = { settings: nest(500, [-1, ...items]) };
		const started = performance.now();
		const ops = diffValues(before, after);
		// A few ms; 400 ms (and 20,001 ops of 502-element paths) before.
		expect(performance.now() - started).toBeLessThan(150);
		expect(ops).toEqual([{ op: "s", path: [], value: after }]);
		expect(applyPatch(before, ops)).toBe(after);
		// An unchanged deep value is found so without copying a path per node (177 ms before).
		const same = performance.now();
		expect(diffValues(before, { settings: nest(500, items.slice()) })).toEqual([]);
		expect(performance.now() - same).toBeLessThan(100);
	});

	it("many small changes beside a large string stay a patch (the string counts for its size)", () => {
		const rows = (x: number) => Array.from({ length: 5000 }, () => ({ v: { x } }));
		const before = { blob: "b".repeat(1_000_000), rows: rows(1) };
		const after = { blob: before.blob, rows: rows(2) };
		const ops = diffValues(before, after);
		expect(ops).toHaveLength(5000);
		expect(ops[0]).toEqual({ op: "s", path: ["rows", 0, "v", "x"], value: 2 });
		expect(applyPatch(before, ops)).toEqual(after);
	});

	it("small changes stay small patches", () => {
		const items = Array.from({ length: 20_000 }, (_, i) => ({ id: i, done: false }));
		const after = items.slice();
		after[7] = { id: 7, done: true };
		expect(diffValues({ items }, { items: [...after, { id: 20_000, done: false }] })).toEqual([
			{ op: "s", path: ["items", 7, "done"], value: true },
			{ op: "a", path: ["items"], items: [{ id: 20_000, done: false }] },
		]);
	});
});
