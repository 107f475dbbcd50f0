// An actor's static `state`, `vars` and `connState` are copied for each actor
// (structuredClone). A function in `vars` failed every wake; a class instance
// came out a plain object without its methods (`c.vars.cache.get is not a
// function` at the first call), silently (a walkthrough, 2026-11-28). Both are
// refused where the actor is defined, naming where and what to use instead.
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

class Cache {
	#items = new Map<string, string>();
	get(key: string) {
		return this.#items.get(key);
	}
}

describe("an actor's static state, vars and connState", () => {
	it("refuses a function, a symbol or a class instance anywhere in them, saying where", () => {
		expect(() => actor({ vars: { cache: new Cache() }, actions: {} })).toThrow(
			"`vars` holds an instance of Cache at vars.cache, which is not copied for each actor as it is; make it in `createVars` instead",
		);
		expect(() => actor({ vars: { onTick: () => 1 }, actions: {} })).toThrow(
			"`vars` holds a function at vars.onTick",
		);
		expect(() => actor({ state: { list: [1, { at: Symbol("x") }] }, actions: {} })).toThrow(
			"`state` holds a symbol at state.list[1].at",
		);
		expect(() =>
			actor({ connState: { seen: new Map([["a", new Cache()]]) }, actions: {} }),
		).toThrow("`connState` holds an instance of Cache at connState.seen.get(0)");
	});

	it("refuses an Error subclass (copied as a plain Error), takes other realms' plain objects, Blobs and large arrays quickly", () => {
		class Refusal extends Error {
			reason() {
				return "no";
			}
		}
		expect(() => actor({ vars: { last: new Refusal("x") }, actions: {} })).toThrow(
			"`vars` holds an instance of Refusal at vars.last",
		);
		expect(() => actor({ vars: { last: new TypeError("x") }, actions: {} })).not.toThrow();
		const foreign = runInNewContext("({ a: { b: [1, 2] } })");
		expect(() => actor({ state: foreign, actions: {} })).not.toThrow();
		expect(() => actor({ vars: { file: new Blob(["x"]) }, actions: {} })).not.toThrow();
		const started = performance.now();
		expect(() =>
			actor({ vars: { samples: Array.from({ length: 1_000_000 }, (_, i) => i) }, actions: {} }),
		).not.toThrow();
		expect(performance.now() - started).toBeLessThan(1_000);
	});

	it("takes what is copied as it is, and every actor gets its own copy", async () => {
		const shared = {
			count: 0,
			at: new Date(0),
			tags: new Set(["a"]),
			index: new Map([["k", [1, 2]]]),
			bytes: new Uint8Array([1, 2]),
			pattern: /x+/g,
			nothing: null,
		};
		const box = actor({
			state: { n: 0 },
			vars: shared,
			actions: {
				bump: (c) => {
					c.vars.count++;
					c.vars.tags.add("b");
					return [c.vars.count, c.vars.tags.size, c.vars.at.getTime(), c.vars.pattern.source];
				},
			},
		});
		await using t = await setupTest(setup({ use: { box } }));
		expect(await t.client.box.getOrCreate("one").bump()).toEqual([1, 2, 0, "x+"]);
		expect(await t.client.box.getOrCreate("two").bump()).toEqual([1, 2, 0, "x+"]);
		expect(shared.count).toBe(0);
	});
});
