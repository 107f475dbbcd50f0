// What state holds in memory is what storage gives back at the next wake: a
// write storage would lose or change is refused in the turn that makes it,
// and a change to an object two top-level keys hold rewrites both. A review
// on 2026-11-26 found each case below kept in memory and lost, changed or
// turned into a prototype at the next wake, or refused only by the commit
// (which failed every caller of that commit and reset the actor).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { callAsync } from "../../src/common/timeouts.js";
import { actor, lmdbDriver, setup } from "../../src/index.js";
import { cborEncode } from "../../src/protocol/encoding.js";
import { findNotPlain } from "../../src/protocol/plain-data.js";
import { loadState } from "../../src/runtime/state-loader.js";
import { StateTracker } from "../../src/runtime/state-tracker.js";
import { META_KEY, stateKey } from "../../src/storage/actor-keys.js";
import { setupTest } from "../../src/test/index.js";
import { expectRefusedAlone, expectRefusedByCommit } from "../helpers/refused-writes.js";

const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function lmdb() {
	const dir = mkdtempSync(join(tmpdir(), "tenon-state-write-gaps-"));
	dirs.push(dir);
	return lmdbDriver({ path: dir });
}

class Fancy extends Map<string, number> {}
class Tagged extends Set<string> {}
class Stamp extends Date {}

interface Job {
	id: number;
	data: { v: number };
}

interface GapState {
	count: number;
	list: unknown[];
	obj: { nest: { deep: Record<string, unknown> } } & Record<string, unknown>;
	bytes: Uint8Array;
	m: Map<unknown, unknown>;
	s: Set<unknown>;
	jobs: Job[];
	[key: string]: unknown;
}

const LONG_KEY = "k".repeat(1025);
const ALL = { enumerable: true, writable: true, configurable: true };

/** One write that storage would lose or change, or that closes a cycle. */
function writeBad(state: GapState, how: string): void {
	switch (how) {
		// Top-level keys storage cannot hold.
		case "emptyKey":
			state[""] = 1;
			return;
		case "longKey":
			state[LONG_KEY] = 1;
			return;
		case "longKeyDefined":
			Object.defineProperty(state, LONG_KEY, { value: 1, ...ALL });
			return;
		// Cycles, closed through a proxy or by a new object holding its ancestor.
		case "self":
			state.obj.self = state.obj;
			return;
		case "ancestor": {
			const obj = state.obj;
			obj.child = { parent: obj };
			return;
		}
		case "deep":
			state.obj.nest.deep.up = state.obj;
			return;
		case "root":
			state.me = state;
			return;
		case "rootInNew":
			state.me = { root: state };
			return;
		case "push":
			state.list.push(state.list);
			return;
		case "mapValue":
			state.m.set("k", state.m);
			return;
		case "mapKey":
			state.m.set(state.m, 1);
			return;
		case "setItem":
			state.s.add({ s: state.s });
			return;
		case "defined":
			Object.defineProperty(state.obj, "self", { value: state.obj, ...ALL });
			return;
		case "inNewMap":
			state.obj.m = new Map([["up", state.obj]]);
			return;
		// Properties and prototypes storage does not keep.
		case "arrayName":
			(state.list as unknown[] & { meta?: string }).meta = "x";
			return;
		case "arrayNameDefined":
			Object.defineProperty(state.list, "meta", { value: "x", ...ALL });
			return;
		case "bytesName":
			(state.bytes as Uint8Array & { meta?: number }).meta = 1;
			return;
		case "mapName":
			(state.m as Map<unknown, unknown> & { extra?: number }).extra = 1;
			return;
		case "hidden":
			Object.defineProperty(state.obj, "secret", { value: 42, writable: true, configurable: true });
			return;
		case "rootHidden":
			Object.defineProperty(state, "secret", { value: 42, writable: true, configurable: true });
			return;
		case "readOnly":
			Object.defineProperty(state.obj, "fixed", { value: 1, enumerable: true });
			return;
		case "getter":
			Object.defineProperty(state.obj, "got", {
				get: () => 1,
				enumerable: true,
				configurable: true,
			});
			return;
		case "rootProto":
			Object.setPrototypeOf(state, { inherited: 5 });
			return;
		case "nestedProto":
			Object.setPrototypeOf(state.obj, { inherited: 5 });
			return;
		case "freeze":
			Object.freeze(state.obj);
			return;
		case "rootFreeze":
			Object.freeze(state);
			return;
		case "mapSubclass":
			state.fancy = new Fancy([["a", 1]]);
			return;
		case "setSubclass":
			state.s.add(new Tagged(["a"]));
			return;
		case "dateSubclass":
			state.obj.when = new Stamp(0);
			return;
		default:
			throw new Error(`unknown write ${how}`);
	}
}

const BAD_SYNC = [
	"emptyKey",
	"longKey",
	"longKeyDefined",
	"replaceEmptyKey",
	"self",
	"ancestor",
	"deep",
	"root",
	"rootInNew",
	"push",
	"mapValue",
	"mapKey",
	"setItem",
	"defined",
	"inNewMap",
	"arrayName",
	"arrayNameDefined",
	"bytesName",
	"mapName",
	"hidden",
	"rootHidden",
	"readOnly",
	"getter",
	"rootProto",
	"nestedProto",
	"freeze",
	"rootFreeze",
	"mapSubclass",
	"setSubclass",
	"dateSubclass",
];

const gaps = actor({
	state: {
		count: 0,
		list: [],
		obj: { nest: { deep: {} } },
		bytes: new Uint8Array(4),
		m: new Map(),
		s: new Set(),
		jobs: [],
	} as GapState,
	actions: {
		add: (c, n: number) => {
			c.state.count += n;
			return c.state.count;
		},
		bad: (c, how: string) => {
			if (how === "replaceEmptyKey") c.state = { ...c.state, "": 1 };
			else writeBad(c.state, how);
		},
		/** The same write after an `await`, where only the commit can refuse it. */
		badLater: async (c, how: string) => {
			await null;
			if (how === "replaceEmptyKey") c.state = { ...c.state, "": 1 };
			else writeBad(c.state, how);
		},
		viaBuffer: (c) => {
			new Uint8Array(c.state.bytes.buffer)[0] = 7;
			return c.state.bytes[0];
		},
		fillJobs: (c) => {
			for (let id = 0; id < 5; id++) c.state.jobs.push({ id, data: { v: id } });
			// Not a cycle: an object of one key held under another.
			c.state.obj.first = c.state.jobs[0];
		},
		moveJobs: (c) => {
			const jobs = c.state.jobs;
			jobs.reverse();
			jobs.sort((a, b) => a.id - b.id);
			jobs.push(jobs.shift() as Job);
			jobs.unshift(...jobs.splice(2, 2));
			jobs.copyWithin(0, 4);
			(c.state.obj.first as Job).data.v = 100;
			return jobs.map((job) => job.id);
		},
		read: (c) => ({
			...c.state,
			keys: Object.keys(c.state),
			proto: Object.getPrototypeOf(c.state) === Object.prototype,
		}),
	},
});

/** State object where a fresh object was written under two top-level keys. */
const links = actor({
	state: {} as Record<string, { score?: number; byId?: { u1: { score: number } } }>,
	actions: {
		/** Nested under `b` first, then the whole value of `a`. */
		nestedThenWhole: (c) => {
			const user = { score: 0 };
			c.state.b = { byId: { u1: user } };
			c.state.a = user;
		},
		/** Nested under two keys. */
		nestedTwice: (c) => {
			const user = { score: 0 };
			c.state.a = { byId: { u1: user } };
			c.state.b = { list: [user] } as never;
		},
		/** Nested in a Map written under `b`, then the whole value of `a`. */
		inMapThenWhole: (c) => {
			const user = { score: 0 };
			c.state.b = { byId: new Map([["u1", user]]) } as never;
			c.state.a = user;
		},
		bumpA: (c) => {
			const a = c.state.a;
			if (a === undefined) return;
			if (a.score !== undefined) a.score++;
			else if (a.byId) a.byId.u1.score++;
		},
		read: (c) => c.state,
	},
});

const protoDoc = actor({
	state: { n: 0 } as Record<string, unknown>,
	actions: {
		adopt: (c, json: string) => {
			c.state = JSON.parse(json);
		},
		/** State replaced by parsed JSON (a fetched document, say) after an await. */
		adoptLater: async (c, json: string) => {
			await null;
			c.state = JSON.parse(json);
		},
		write: (c) => {
			c.state.n = 2;
		},
		read: (c) => ({
			isAdmin: (c.state as { isAdmin?: unknown }).isAdmin ?? null,
			keys: Object.keys(c.state),
			proto: Object.getPrototypeOf(c.state) === Object.prototype,
		}),
	},
});

const registry = setup({ use: { gaps, links, protoDoc }, logLevel: "silent" });

describe("an object written nested under one top-level key and then under another", () => {
	for (const how of ["nestedThenWhole", "nestedTwice", "inMapThenWhole"] as const)
		it(`keeps a change made through either key across a restart (${how})`, async () => {
			// Only an object written as a whole value was remembered: one first
			// written nested left the other key stored without the change.
			await using t = await setupTest(registry, { storage: lmdb() });
			const handle = t.client.links.getOrCreate(how);
			await handle[how]();
			await handle.bumpA();
			const before = await handle.read();
			await t.restart();
			expect(await t.client.links.getOrCreate(how).read()).toEqual(before);
		});
});

describe("a write storage would lose, change or refuse", () => {
	it("fails its own turn only, over a connection, while a write in the same commit stays", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		await expectRefusedAlone(t, () => t.client.gaps.getOrCreate("sync"), BAD_SYNC, untouched);
	});

	it("after an await, is refused by the commit, and leaves nothing behind", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		await expectRefusedByCommit(t, () => t.client.gaps.getOrCreate("later"), BAD_SYNC, untouched);
	});

	it("names a cycle where it is closed", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.gaps.getOrCreate("named");
		const reason = (how: string) =>
			handle.bad(how).then(
				() => undefined,
				(error: { message: string; metadata: unknown }) => [error.metadata, error.message],
			);
		expect(await reason("deep")).toEqual([
			{ path: "state.obj….up" },
			expect.stringContaining("a circular reference"),
		]);
		expect(await reason("emptyKey")).toEqual([
			{ path: "state." },
			expect.stringContaining("a top-level key that is empty or longer than 1024 bytes"),
		]);
		expect(await reason("arrayName")).toEqual([
			{ path: "state.list….meta" },
			expect.stringContaining("a named property on an array"),
		]);
	});
});

describe("writes that state keeps", () => {
	it("a write through a typed array's buffer is stored", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		const handle = t.client.gaps.getOrCreate("buffer");
		await handle.add(1);
		expect(await handle.viaBuffer()).toBe(7);
		await t.restart();
		expect((await t.client.gaps.getOrCreate("buffer").read()).bytes).toEqual(
			Uint8Array.of(7, 0, 0, 0),
		);
	});

	it("objects moved inside an array and shared with another key are not taken for a cycle", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		const handle = t.client.gaps.getOrCreate("moves");
		await handle.fillJobs();
		await handle.moveJobs();
		const before = await handle.read();
		expect(before.obj.first).toEqual({ id: 0, data: { v: 100 } });
		await t.restart();
		expect(await t.client.gaps.getOrCreate("moves").read()).toEqual(before);
	});
});

describe("a top-level '__proto__' key", () => {
	const DOC = '{"__proto__": {"isAdmin": true}, "n": 1}';

	it("is refused in the writing turn, and after an await by the commit: it never becomes the prototype", async () => {
		// After an await it was stored, and the loader's `state[key] = value`
		// made it the state's prototype at the next wake.
		await using t = await setupTest(registry, { storage: lmdb() });
		const handle = t.client.protoDoc.getOrCreate("p");
		await handle.write();
		await expect(handle.adopt(DOC)).rejects.toMatchObject({ code: "not_serializable" });
		await expect(handle.adoptLater(DOC)).rejects.toMatchObject({ code: "not_serializable" });
		const stored = { isAdmin: null, keys: ["n"], proto: true };
		expect(await handle.read()).toEqual(stored);
		await t.restart();
		expect(await t.client.protoDoc.getOrCreate("p").read()).toEqual(stored);
	});

	it("stored by an older version is loaded as an own property, never as the prototype", async () => {
		const storage = lmdb();
		const handles = await storage.open();
		try {
			const actorId = "0".repeat(16);
			const [result] = await handles.store.commit([
				{
					actorId,
					fence: 1,
					puts: [
						[META_KEY, cborEncode({ v: 1, shape: "object", keys: ["__proto__", "n"] })],
						[stateKey("__proto__"), cborEncode({ isAdmin: true })],
						[stateKey("n"), cborEncode(1)],
					],
					deletes: [],
				},
			]);
			expect(result).toEqual({ ok: true });
			const loaded = await loadState(handles.store, actorId);
			expect(loaded.initialized).toBe(true);
			const state = (loaded as { state: Record<string, unknown> }).state;
			expect(Object.getPrototypeOf(state)).toBe(Object.prototype);
			expect(state.isAdmin).toBeUndefined();
			expect(Object.keys(state)).toEqual(["__proto__", "n"]);
		} finally {
			await handles.close();
		}
	});
});

describe("the cycle check", () => {
	it("walks a graph shared 2^40 ways once, and still finds a cycle closed at its bottom", async () => {
		type Node = { a?: Node; b?: Node; up?: unknown };
		let dag: Node = {};
		for (let level = 0; level < 40; level++) dag = { a: dag, b: dag };
		const state = new StateTracker({ dag, other: {} as Record<string, unknown> }).value as {
			dag: Node;
			other: Record<string, unknown>;
		};
		// In an action's synchronous part, where a refused write throws.
		await callAsync(() => {
			state.other.x = state.dag;
		});
		let bottom = state.dag;
		while (bottom.a !== undefined) bottom = bottom.a;
		await expect(
			callAsync(() => {
				bottom.up = state.dag;
			}),
		).rejects.toMatchObject({ code: "not_serializable", metadata: { path: "state.dag….up" } });
		expect(bottom.up).toBeUndefined();
	});
});

describe("plain data", () => {
	it("refuses a subclass of Map, Set or Date as it does other class instances", () => {
		for (const use of ["stored", "encodable", "client"] as const) {
			expect(findNotPlain({ m: new Fancy() }, "v", use)).toEqual({
				path: "v.m",
				what: "a Fancy instance",
			});
			expect(findNotPlain([new Tagged()], "v", use)?.what).toBe("a Tagged instance");
			expect(findNotPlain(new Stamp(0), "v", use)?.what).toBe("a Stamp instance");
		}
		expect(findNotPlain({ m: new Map(), s: new Set(), d: new Date(0) }, "v")).toBeUndefined();
		// A Node Buffer stays accepted (stored as the Uint8Array it is).
		expect(findNotPlain({ b: Buffer.from("x") }, "v")).toBeUndefined();
	});
});

/** What the `gaps` actor holds when only `add` has changed it. */
function untouched(count: number) {
	return {
		count,
		list: [],
		obj: { nest: { deep: {} } },
		bytes: new Uint8Array(4),
		m: new Map(),
		s: new Set(),
		jobs: [],
		keys: ["count", "list", "obj", "bytes", "m", "s", "jobs"],
		proto: true,
	};
}
