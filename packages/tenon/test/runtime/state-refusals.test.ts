// A value storage cannot read back exactly is refused in the turn that
// writes it: that caller gets `state/not_serializable` (or the KV's own
// code), the write does not happen, and other callers' writes, even in the
// same commit, go on. Before 2026-11-25 a class instance written into state
// failed the whole commit (every caller in it got `core/internal_error` and
// every connection of the actor was dropped), and a string with a lone
// surrogate or a Date past year 141,000 was stored changed (U+FFFD, 1 ms off).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, lmdbDriver, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

class Point {
	x = 1;
}

/** Past ~year 141,000: CBOR's seconds no longer hold the millisecond. */
const FAR_MS = 4_432_517_588_160_194;
/** A string cut inside an emoji, as `text.slice(0, n)` can leave it. */
const CUT = "hello 😀".slice(0, 7);

const box = actor({
	state: {
		count: 0,
		items: {} as Record<string, unknown>,
		tags: new Map<string, unknown>(),
		seen: new Set<unknown>(),
		at: new Date(0),
	},
	queues: { jobs: queue<unknown>() },
	actions: {
		add: (c, n: number) => {
			c.state.count += n;
			return c.state.count;
		},
		/** Each way of writing a value into state; `value` is made on the server. */
		write: (c, how: string, what: string) => {
			const value = what === "class" ? new Point() : what === "far" ? new Date(FAR_MS) : CUT;
			if (how === "nested") c.state.items.v = value;
			else if (how === "deep") c.state.items.v = { list: [1, { value }] };
			else if (how === "key") c.state.items[CUT] = 1;
			else if (how === "top") (c.state as Record<string, unknown>)[CUT] = 1;
			else if (how === "map") c.state.tags.set("v", value);
			else if (how === "set") c.state.seen.add(value);
			else if (how === "replace") c.state = { ...c.state, items: { v: value } };
			else if (how === "date") c.state.at.setTime(FAR_MS);
			else if (how === "define")
				Object.defineProperty(c.state.items, "v", { value, enumerable: true });
			return true;
		},
		kv: async (c, how: string) => {
			if (how === "key") await c.kv.put(CUT, "v");
			else await c.kv.put("k", CUT);
		},
		enqueue: async (c) => {
			await c.queue.send("jobs", { text: CUT });
		},
		schedule: async (c) => {
			await c.schedule.after(60_000, "add", CUT as unknown as number);
		},
		/** What a client's text and object arrive as, stored. */
		keep: (c, text: string, object: Record<string, number>) => {
			c.state.items.text = text;
			return { text, keys: Object.keys(object), values: Object.values(object), params: null };
		},
		params: (c) => c.conn.params,
		read: (c) => ({
			count: c.state.count,
			items: { ...c.state.items },
			tags: [...c.state.tags],
			seen: [...c.state.seen],
			at: c.state.at.getTime(),
			keys: Object.keys(c.state),
		}),
	},
});

const registry = setup({ use: { box }, logLevel: "silent" });

const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function lmdb() {
	const dir = mkdtempSync(join(tmpdir(), "tenon-state-refusals-"));
	dirs.push(dir);
	return lmdbDriver({ path: dir });
}

const EMPTY = {
	items: {},
	tags: [],
	seen: [],
	at: 0,
	keys: ["count", "items", "tags", "seen", "at"],
};

describe("a value storage would change or refuse", () => {
	const cases: [string, string][] = [
		["nested", "class"],
		["nested", "cut"],
		["nested", "far"],
		["deep", "cut"],
		["deep", "far"],
		["key", "cut"],
		["top", "cut"],
		["map", "cut"],
		["map", "class"],
		["set", "far"],
		["replace", "cut"],
		["replace", "class"],
		["date", "far"],
		["define", "cut"],
	];

	it("fails its own turn only, over a connection, while a write in the same commit stays", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		const handle = t.client.box.getOrCreate("b");
		const conn = handle.connect();
		let count = 0;
		for (const [how, what] of cases) {
			// Both frames arrive together, so both turns would share one commit.
			const [bad, good] = await Promise.allSettled([conn.write(how, what), conn.add(1)]);
			expect(bad, `${how} ${what}`).toMatchObject({
				status: "rejected",
				reason: { group: "state", code: "not_serializable" },
			});
			expect(good, `${how} ${what}`).toEqual({ status: "fulfilled", value: ++count });
		}
		// The connection was never dropped, and nothing was written.
		expect(await conn.add(0)).toBe(count);
		await conn.dispose();
		await t.restart();
		expect(await t.client.box.getOrCreate("b").read()).toEqual({ count, ...EMPTY });
	});

	it("names where the value is", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.box.getOrCreate("p");
		const reason = (how: string, what: string) =>
			handle.write(how, what).then(
				() => undefined,
				(error: { message: string; metadata: unknown }) => [error.metadata, error.message],
			);
		expect(await reason("deep", "cut")).toEqual([
			{ path: "state.items….v.list[1].value" },
			expect.stringContaining("a string with a lone surrogate (it has no UTF-8 form)"),
		]);
		expect(await reason("top", "cut")).toEqual([
			// The path holds the key itself, which the error's encoding turns into U+FFFD.
			{ path: expect.stringMatching(/^state\.hello /) },
			expect.stringContaining("a key with a lone surrogate"),
		]);
		expect(await reason("date", "far")).toEqual([
			{ path: "state.at" },
			expect.stringContaining("a Date too far from 1970 to store to the millisecond"),
		]);
		expect(await reason("nested", "class")).toEqual([
			{ path: "state.items….v" },
			expect.stringContaining("a Point instance"),
		]);
	});

	it("in KV, a queue body or a timer's arguments is refused with a stable code", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		const handle = t.client.box.getOrCreate("k");
		await expect(handle.kv("key")).rejects.toMatchObject({ group: "kv", code: "invalid_key" });
		await expect(handle.kv("value")).rejects.toMatchObject({ group: "kv", code: "invalid_value" });
		await expect(handle.enqueue()).rejects.toMatchObject({
			group: "state",
			code: "not_serializable",
			metadata: { path: "queue.jobs.text" },
		});
		await expect(handle.schedule()).rejects.toMatchObject({
			group: "state",
			code: "not_serializable",
		});
		expect(await handle.add(1)).toBe(1);
		await t.restart();
		expect(await t.client.box.getOrCreate("k").read()).toEqual({ count: 1, ...EMPTY });
	});

	it("from a JSON client arrives as over CBOR: a lone surrogate is U+FFFD, in values, keys and params", async () => {
		await using t = await setupTest(registry, { storage: lmdb() });
		// `"\ud800"` in JSON text decodes to a lone surrogate; UTF-8 (CBOR, BARE) cannot carry one.
		const body = '{"args":["a\\ud800b",{"k\\udfff":1,"k\\ufffd":2}]}';
		const response = await fetch(
			`${t.url}/gateway/box/action/keep?rvt-namespace=default&rvt-method=getOrCreate&rvt-key=c`,
			{ method: "POST", headers: { "content-type": "application/json" }, body },
		);
		expect(response.status).toBe(200);
		const seen = { text: "a\ufffdb", keys: ["k\ufffd"], values: [2], params: null };
		expect(await response.json()).toEqual({ output: seen });
		// Connection params too (they may become conn state, which is stored).
		const conn = t.client.box.getOrCreate("c", { params: { name: "x\udc00" } }).connect();
		expect(await conn.params()).toEqual({ name: "x\ufffd" });
		await conn.dispose();
		// A JSON client's WebSocket messages too.
		const json = createClient<typeof registry>({ endpoint: t.url, encoding: "json" });
		const viaSocket = json.box.getOrCreate("c").connect();
		expect(await viaSocket.keep("\udbff!", { "\ud800": 1 })).toEqual({
			text: "\ufffd!",
			keys: ["\ufffd"],
			values: [1],
			params: null,
		});
		await viaSocket.dispose();
		await json.dispose();
		await t.restart();
		expect((await t.client.box.getOrCreate("c").read()).items).toEqual({ text: "\ufffd!" });
	});
});
