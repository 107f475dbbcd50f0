// Values that arrive in state with properties storage does not keep: a RegExp
// match array's `index`, a non-enumerable property, a getter. Before
// 2026-11-26 they arrived unchecked: kept in memory, and gone (or turned into a
// plain value) at the next wake. They are refused at the write with
// `state/not_serializable`, naming the path, as the same property written
// through state is. Frozen and locked values: state-locked-values.test.ts.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { actor, lmdbDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { expectRefusedAlone, expectRefusedByCommit } from "../helpers/refused-writes.js";

const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function lmdb() {
	const dir = mkdtempSync(join(tmpdir(), "tenon-state-frozen-"));
	dirs.push(dir);
	return lmdbDriver({ path: dir });
}

interface PropsState {
	count: number;
	obj: Record<string, unknown>;
	list: unknown[];
	m: Map<unknown, unknown>;
	[key: string]: unknown;
}

/** One value arriving with a property storage would drop or change, written into state. */
function writeBad(state: PropsState, how: string): PropsState | undefined {
	switch (how) {
		case "match":
			state.obj.found = "ab".match(/a/);
			return;
		case "matchTop":
			state.found = "ab".match(/a/);
			return;
		case "matchNested":
			state.obj.found = { hits: [1, "ab".match(/a/)] };
			return;
		case "matchFrozen":
			state.obj.found = Object.freeze("ab".match(/a/));
			return;
		case "matchDefined":
			Object.defineProperty(state.obj, "found", {
				value: "ab".match(/a/),
				enumerable: true,
				writable: true,
				configurable: true,
			});
			return;
		case "push":
			state.list.push("ab".match(/a/));
			return;
		case "mapSet":
			state.m.set("k", "ab".match(/a/));
			return;
		case "mapKey":
			state.m.set("ab".match(/a/), 1);
			return;
		case "namedArray":
			state.obj.found = Object.assign([1, 2], { total: 2 });
			return;
		case "hidden":
			state.obj.found = Object.defineProperty({ a: 1 }, "b", {
				value: 2,
				writable: true,
				configurable: true,
			});
			return;
		case "hiddenLocked":
			// Not enumerable, not writable, not configurable: the defaults of `defineProperty`.
			state.obj.found = Object.defineProperty({ a: 1 }, "b", { value: { c: 1 } });
			return;
		case "getter":
			state.obj.found = {
				get now() {
					return 1;
				},
			};
			return;
		case "mapProperty":
			state.obj.found = Object.assign(new Map([["k", 1]]), { extra: 1 });
			return;
		case "setProperty":
			state.obj.found = Object.assign(new Set([1]), { extra: 1 });
			return;
		case "dateProperty":
			state.obj.found = Object.assign(new Date(0), { zone: "UTC" });
			return;
		case "rootHidden":
			return Object.defineProperty({ ...state }, "secret", {
				value: 1,
				writable: true,
				configurable: true,
			});
		default:
			throw new Error(`unknown write ${how}`);
	}
}

const BAD = [
	"match",
	"matchTop",
	"matchNested",
	"matchFrozen",
	"matchDefined",
	"push",
	"mapSet",
	"mapKey",
	"namedArray",
	"hidden",
	"hiddenLocked",
	"getter",
	"mapProperty",
	"setProperty",
	"dateProperty",
	"rootHidden",
];

/** Reads every own property of `value`, and of what they hold, through state. */
function readDeep(value: unknown, seen = new Set<unknown>()): void {
	if (typeof value !== "object" || value === null || seen.has(value)) return;
	seen.add(value);
	for (const key of Reflect.ownKeys(value)) readDeep(Reflect.get(value, key), seen);
	if (value instanceof Map) for (const item of value.values()) readDeep(item, seen);
}

const props = actor({
	state: { count: 0, obj: {}, list: [], m: new Map() } as PropsState,
	actions: {
		add: (c, n: number) => {
			c.state.count += n;
			return c.state.count;
		},
		bad: (c, how: string) => {
			const next = writeBad(c.state, how);
			if (next !== undefined) c.state = next;
		},
		badLater: async (c, how: string) => {
			await null;
			const next = writeBad(c.state, how);
			if (next !== undefined) c.state = next;
			// Kept until the commit fails: it must be readable until then.
			readDeep(c.state);
		},
		/** Looks values up with such arrays: nothing is written, nothing is refused. */
		lookUp: (c) => {
			const match = "ab".match(/a/);
			return [c.state.m.has(match), c.state.m.get(match) ?? null, c.state.list.includes(match)];
		},
		/** What storage keeps of a match: its items. */
		keepItems: (c) => {
			c.state.obj.found = [...("ab".match(/a/) ?? [])];
		},
		read: (c) => ({ ...c.state, keys: Object.keys(c.state) }),
	},
});

const registry = setup({ use: { props }, logLevel: "silent" });

describe("a value arriving with a property storage would drop or change", () => {
	it("fails its own turn only, over a connection, while a write in the same commit stays", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		await expectRefusedAlone(t, () => t.client.props.getOrCreate("sync"), BAD, untouched);
	});

	it("after an await, is refused by the commit, and leaves nothing behind", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		await expectRefusedByCommit(t, () => t.client.props.getOrCreate("later"), BAD, untouched);
	});

	it("names the property and where it is", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.props.getOrCreate("named");
		const reason = (how: string) =>
			handle.bad(how).then(
				() => undefined,
				(error: { message: string; metadata: unknown }) => [error.metadata, error.message],
			);
		const named = expect.stringContaining(
			"a named property on an array (storage keeps its items only)",
		);
		expect(await reason("match")).toEqual([{ path: "state.obj….found.index" }, named]);
		expect(await reason("matchTop")).toEqual([{ path: "state.found.index" }, named]);
		expect(await reason("matchNested")).toEqual([
			{ path: "state.obj….found.hits[1].index" },
			named,
		]);
		expect(await reason("hidden")).toEqual([
			{ path: "state.obj….found.b" },
			expect.stringContaining("a property that is not enumerable"),
		]);
		expect(await reason("getter")).toEqual([
			{ path: "state.obj….found.now" },
			expect.stringContaining("an accessor property"),
		]);
		expect(await reason("mapProperty")).toEqual([
			{ path: "state.obj….found.extra" },
			expect.stringContaining("a property of a Map"),
		]);
		expect(await reason("rootHidden")).toEqual([
			{ path: "state.secret" },
			expect.stringContaining("a property that is not enumerable"),
		]);
	});

	it("is not refused where nothing is written, and its items alone are kept", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		const handle = t.client.props.getOrCreate("look");
		expect(await handle.lookUp()).toEqual([false, null, false]);
		await handle.keepItems();
		await t.restart();
		expect((await t.client.props.getOrCreate("look").read()).obj).toEqual({ found: ["a"] });
	});
});

/** What the `props` actor holds when only `add` has changed it. */
function untouched(count: number) {
	return {
		count,
		obj: {},
		list: [],
		m: new Map(),
		keys: ["count", "obj", "list", "m"],
	};
}
