// Values that arrive in state frozen, sealed, non-extensible or with locked
// properties. Before 2026-11-26 a frozen object holding an object broke every
// later read through it (a Proxy's read of a locked property must give the
// very value it holds, and the tracker gave a proxy of it). A locked object is
// stored as a plain, writable copy now (what the next wake gives back; state
// stays writable, as an `Object.freeze` through state is refused). Values
// arriving with properties storage would drop: state-unstored-props.test.ts.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { actor, lmdbDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function lmdb() {
	const dir = mkdtempSync(join(tmpdir(), "tenon-state-frozen-"));
	dirs.push(dir);
	return lmdbDriver({ path: dir });
}

interface Config {
	a: { b: number };
	[key: string]: unknown;
}

interface LockedState {
	count: number;
	config?: Config;
	other?: Config;
	holder: { config?: Config };
	list: Config[];
	m: Map<string, Config>;
}

/** `{ a: { b: 1 } }`, locked in one of the ways an object can be. */
function locked(how: string): Config {
	switch (how) {
		case "frozen":
			return Object.freeze({ a: { b: 1 } });
		case "deepFrozen":
			return Object.freeze({ a: Object.freeze({ b: 1 }) });
		case "sealed":
			return Object.seal({ a: { b: 1 } });
		case "nonExtensible":
			return Object.preventExtensions({ a: { b: 1 } });
		case "readOnlyProperty":
			return Object.defineProperty({} as Config, "a", {
				value: { b: 1 },
				enumerable: true,
				writable: false,
				configurable: false,
			});
		default:
			throw new Error(`unknown lock ${how}`);
	}
}

const LOCKS = ["frozen", "deepFrozen", "sealed", "nonExtensible", "readOnlyProperty"];
const PLACES = [
	"key",
	"nested",
	"frozenArray",
	"lockedItem",
	"push",
	"map",
	"frozenMap",
	"frozenRoot",
];

/** Writes a locked `{ a: { b: 1 } }` into one place of the state. */
function put(state: LockedState, where: string, how: string): LockedState | undefined {
	const value = locked(how);
	switch (where) {
		case "key":
			state.config = value;
			return;
		case "nested":
			state.holder.config = value;
			return;
		case "frozenArray":
			state.list = Object.freeze([value]) as Config[];
			return;
		case "lockedItem":
			// An item made read-only on its own: the array stays extensible.
			state.list = Object.defineProperty([], 0, { value, enumerable: true });
			return;
		case "push":
			state.list.push(value);
			return;
		case "map":
			state.m.set("k", value);
			return;
		case "frozenMap":
			state.m = Object.freeze(new Map([["k", value]]));
			return;
		case "frozenRoot":
			// The new state is frozen too, and holds proxies of the old one.
			return Object.freeze({ ...state, config: value });
		default:
			throw new Error(`unknown place ${where}`);
	}
}

/** Every `a.b` in state, read through it. */
function readAll(state: LockedState): number[] {
	return [state.config, state.holder.config, ...state.list, state.m.get("k")]
		.filter((config) => config !== undefined)
		.map((config) => config.a.b);
}

function readTwice(state: LockedState) {
	return [state.config?.top, state.config?.a.b, state.other?.top ?? null, state.other?.a.b];
}

const lockedValues = actor({
	state: { count: 0, holder: {}, list: [], m: new Map() } as LockedState,
	actions: {
		add: (c, n: number) => {
			c.state.count += n;
			return c.state.count;
		},
		put: (c, where: string, how: string) => {
			const next = put(c.state, where, how);
			if (next !== undefined) c.state = next;
			return readAll(c.state);
		},
		/** The same write after an `await` (outside the synchronous part of the action). */
		putLater: async (c, where: string, how: string) => {
			await null;
			const next = put(c.state, where, how);
			if (next !== undefined) c.state = next;
			return readAll(c.state);
		},
		read: (c) => readAll(c.state),
		bump: (c) => {
			for (const config of [
				c.state.config,
				c.state.holder.config,
				...c.state.list,
				c.state.m.get("k"),
			])
				if (config !== undefined) config.a.b++;
			return readAll(c.state);
		},
		/** Writes one locked object, changes it, then writes the same locked object under another key. */
		twice: (c, how: string) => {
			const value = locked(how);
			c.state.config = value;
			const config = c.state.config as Config;
			config.top = 5;
			config.a.b = 9;
			c.state.other = value;
			return readTwice(c.state);
		},
		readTwice: (c) => readTwice(c.state),
		writable: (c) => {
			c.state.config = locked("deepFrozen");
			const config = c.state.config as Config;
			const frozen = [Object.isFrozen(config), Object.isFrozen(config.a)];
			config.extra = 1;
			config.a.b = 7;
			return { frozen, config: { ...config, a: { ...config.a } } };
		},
		readConfig: (c) => ({ ...c.state.config, a: { ...c.state.config?.a } }),
	},
});

/** An actor whose `createState` gives a deeply frozen state. */
const frozenStart = actor({
	createState: () =>
		Object.freeze({
			count: 0,
			config: Object.freeze({ a: Object.freeze({ b: 1 }) }),
			list: Object.freeze([Object.freeze({ a: Object.freeze({ b: 1 }) })]),
		}) as { count: number; config: Config; list: [Config] },
	actions: {
		bump: (c) => {
			c.state.count++;
			c.state.config.a.b++;
			c.state.list[0].a.b++;
			return [c.state.count, c.state.config.a.b, c.state.list[0].a.b];
		},
		read: (c) => [c.state.count, c.state.config.a.b, c.state.list[0].a.b],
	},
});

const registry = setup({ use: { lockedValues, frozenStart }, logLevel: "silent" });

describe("a frozen, sealed or non-extensible value written into state", () => {
	it("is read through and written through in later actions, and kept across a restart", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		for (const where of PLACES)
			for (const how of LOCKS) {
				const handle = t.client.lockedValues.getOrCreate(`${where}-${how}`);
				expect(await handle.put(where, how), `${where} ${how}`).toEqual([1]);
				expect(await handle.read(), `${where} ${how}`).toEqual([1]);
				expect(await handle.bump(), `${where} ${how}`).toEqual([2]);
			}
		await t.restart();
		for (const where of PLACES)
			for (const how of LOCKS)
				expect(
					await t.client.lockedValues.getOrCreate(`${where}-${how}`).read(),
					`${where} ${how}`,
				).toEqual([2]);
	});

	it("after an await, is read through at once and kept across a restart", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		for (const where of PLACES) {
			const handle = t.client.lockedValues.getOrCreate(`later-${where}`);
			expect(await handle.putLater(where, "deepFrozen"), where).toEqual([1]);
			expect(await handle.bump(), where).toEqual([2]);
		}
		await t.restart();
		for (const where of PLACES)
			expect(await t.client.lockedValues.getOrCreate(`later-${where}`).read(), where).toEqual([2]);
	});

	it("is stored as a plain, writable copy: what the next wake gives back", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		const handle = t.client.lockedValues.getOrCreate("writable");
		const written = { frozen: [false, false], config: { a: { b: 7 }, extra: 1 } };
		expect(await handle.writable()).toEqual(written);
		await t.restart();
		expect(await t.client.lockedValues.getOrCreate("writable").readConfig()).toEqual(
			written.config,
		);
	});

	it("written twice is copied each time, and what the copies share is stored under both keys", async () => {
		// A copy kept for the next write of the same frozen object would hand
		// that write what the first one's copy was changed to since.
		await using t = await setupTest(registry, { storage: lmdb() });
		const deep = t.client.lockedValues.getOrCreate("twice-deep");
		expect(await deep.twice("deepFrozen")).toEqual([5, 9, null, 1]);
		// Only the top is frozen: `a` is the same unfrozen object in both, as it would be unfrozen.
		const shallow = t.client.lockedValues.getOrCreate("twice-shallow");
		expect(await shallow.twice("frozen")).toEqual([5, 9, null, 9]);
		await t.restart();
		expect(await t.client.lockedValues.getOrCreate("twice-deep").readTwice()).toEqual([
			5,
			9,
			null,
			1,
		]);
		expect(await t.client.lockedValues.getOrCreate("twice-shallow").readTwice()).toEqual([
			5,
			9,
			null,
			9,
		]);
	});

	it("given by createState is woken, changed and kept", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		expect(await t.client.frozenStart.getOrCreate("f").bump()).toEqual([1, 2, 2]);
		await t.restart();
		expect(await t.client.frozenStart.getOrCreate("f").read()).toEqual([1, 2, 2]);
	});
});
