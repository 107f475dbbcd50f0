import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { actor, lmdbDriver, memoryDriver, type StorageDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const store = actor({
	state: { writes: 0 },
	actions: {
		put: async (c, key: string, value: string) => {
			await c.kv.put(key, value);
			c.state.writes++;
		},
		putBytes: async (c, key: string, bytes: Uint8Array) => c.kv.put(key, bytes),
		get: (c, key: string) => c.kv.get(key),
		getBytes: (c, key: string) => c.kv.get(key, { type: "binary" }),
		remove: (c, key: string) => c.kv.delete(key),
		list: (c, prefix: string, limit?: number) =>
			c.kv.list(prefix, limit === undefined ? {} : { limit }),
		listReverse: (c, prefix: string) => c.kv.list(prefix, { reverse: true }),
		range: (c, start: string, end: string) => c.kv.listRange(start, end),
		dropRange: (c, start: string, end: string) => c.kv.deleteRange(start, end),
		batch: async (c) => {
			await c.kv.putBatch([
				["b:1", "one"],
				["b:2", "two"],
			]);
			const before = await c.kv.getBatch(["b:1", "b:2", "b:3"]);
			await c.kv.deleteBatch(["b:1"]);
			return { before, after: await c.kv.getBatch(["b:1", "b:2"]) };
		},
		/** A client's value passed on as a batch (an attacker probe, 2026-11-27). */
		hostileBatch: async (c, which: "get" | "put" | "delete", items: unknown) => {
			if (which === "get") return c.kv.getBatch(items as string[]);
			if (which === "put") return c.kv.putBatch(items as [string, string][]);
			return c.kv.deleteBatch(items as string[]);
		},
		// Reads inside one turn see the turn's own unsaved writes.
		readYourWrites: async (c) => {
			await c.kv.put("ryw:a", "1");
			await c.kv.put("ryw:b", "2");
			await c.kv.delete("ryw:a");
			return { a: await c.kv.get("ryw:a"), listed: await c.kv.list("ryw:") };
		},
		/** `count` puts in one turn, none awaited: one commit. */
		putMany: async (c, count: number) => {
			for (let i = 0; i < count; i++) void c.kv.put(`many:${i}`, "v");
		},
		countMany: async (c) => (await c.kv.list("many:")).length,
		binaryKeys: async (c) => {
			await c.kv.put(Uint8Array.of(0, 255), "bin");
			return c.kv.list(Uint8Array.of(0), { keyType: "binary" });
		},
		// A caller's buffer is not the stored value: changing it after `put`, or changing
		// what `get` returned, changes nothing stored (Node Buffers' `slice` is a view).
		putThenReuse: async (c, key: string) => {
			const buffer = Buffer.from("kept");
			await c.kv.put(key, buffer);
			buffer.fill(0x21);
			const read = (await c.kv.get(key, { type: "binary" })) as Uint8Array;
			read.fill(0x3f);
			return c.kv.get(key);
		},
		tooLong: async (c, keyBytes: number, valueBytes: number) =>
			c.kv.put("x".repeat(keyBytes), "v".repeat(valueBytes)),
		writes: (c) => c.state.writes,
	},
});

const registry = setup({ use: { store }, logLevel: "silent" });
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const drivers: [string, () => StorageDriver][] = [
	["memory", () => memoryDriver()],
	[
		"lmdb",
		() => {
			const dir = mkdtempSync(join(tmpdir(), "tenon-kv-"));
			dirs.push(dir);
			return lmdbDriver({ path: dir });
		},
	],
];

describe.each(drivers)("c.kv (%s)", (_name, makeDriver) => {
	it("stores text and bytes, lists by prefix and range, and survives a restart", async () => {
		await using t = await setupTest(registry, { storage: makeDriver() });
		const kv = t.client.store.getOrCreate("a");
		await kv.put("user:2", "bob");
		await kv.put("user:1", "ada");
		await kv.put("user:10", "eve");
		await kv.put("other", "x");
		await kv.putBytes("blob", Uint8Array.of(0, 1, 255));
		expect(await kv.get("user:1")).toBe("ada");
		expect(await kv.get("missing")).toBeNull();
		expect(await kv.getBytes("blob")).toEqual(Uint8Array.of(0, 1, 255));
		expect(await kv.list("user:")).toEqual([
			["1", "ada"],
			["10", "eve"],
			["2", "bob"],
		]);
		expect(await kv.list("user:", 2)).toEqual([
			["1", "ada"],
			["10", "eve"],
		]);
		expect((await kv.listReverse("user:")).map(([k]) => k)).toEqual(["2", "10", "1"]);
		expect(await kv.range("user:1", "user:2")).toEqual([
			["user:1", "ada"],
			["user:10", "eve"],
		]);
		await kv.remove("user:2");
		await kv.dropRange("user:1", "user:11");
		await t.restart();
		const after = t.client.store.getOrCreate("a");
		expect(await after.list("user:")).toEqual([]);
		expect(await after.get("other")).toBe("x");
		expect(await after.getBytes("blob")).toEqual(Uint8Array.of(0, 1, 255));
		expect(await after.writes()).toBe(4);
	});

	it("supports batches, binary keys and reading its own unsaved writes", async () => {
		await using t = await setupTest(registry, { storage: makeDriver() });
		const kv = t.client.store.getOrCreate("b");
		expect(await kv.batch()).toEqual({ before: ["one", "two", null], after: [null, "two"] });
		expect(await kv.readYourWrites()).toEqual({ a: null, listed: [["b", "2"]] });
		expect(await kv.binaryKeys()).toEqual([[Uint8Array.of(255), "bin"]]);
	});

	it("keeps what was put, whatever the caller does with its buffers afterwards", async () => {
		await using t = await setupTest(registry, { storage: makeDriver() });
		const kv = t.client.store.getOrCreate("aliasing");
		expect(await kv.putThenReuse("k")).toBe("kept");
		expect(await kv.get("k")).toBe("kept");
		await t.restart();
		expect(await t.client.store.getOrCreate("aliasing").get("k")).toBe("kept");
	});

	it("refuses batches that are not arrays (of pairs) with kv/invalid_key, writing nothing", async () => {
		// They were core/internal_error, with a TypeError in the server's log.
		await using t = await setupTest(registry);
		const handle = t.client.store.getOrCreate("hostile-batch");
		for (const [which, items] of [
			["get", "abc"],
			["get", { length: 2 }],
			["put", { length: 3 }],
			["put", [["k", "v"], "xy"]],
			["put", [["k", "v"], ["k2"]]],
			["delete", 7],
		] as const)
			await expect(handle.hostileBatch(which, items)).rejects.toMatchObject({
				group: "kv",
				code: "invalid_key",
			});
		expect(await handle.get("k")).toBeNull();
	});

	it("enforces the key (2 KiB) and value (128 KiB) limits", async () => {
		await using t = await setupTest(registry, { storage: makeDriver() });
		const kv = t.client.store.getOrCreate("limits");
		await kv.tooLong(2048, 10);
		expect(await kv.get("x".repeat(2048))).toBe("v".repeat(10));
		await expect(kv.tooLong(2049, 1)).rejects.toMatchObject({ group: "kv", code: "key_too_long" });
		await kv.tooLong(1, 128 * 1024);
		await expect(kv.tooLong(1, 128 * 1024 + 1)).rejects.toMatchObject({
			group: "kv",
			code: "value_too_long",
		});
	});
});

describe("c.kv, one turn's commit", () => {
	it("takes 150,000 puts (more than a call takes as arguments)", async () => {
		// They were gathered into the commit with `push(...)`, which threw RangeError past
		// about 125,000 and failed the action with an internal error (a review, 2026-11-26).
		// The runtime's path, the same for every driver: the memory driver's store.
		await using t = await setupTest(registry, { storage: memoryDriver() });
		await t.client.store.getOrCreate("many").putMany(150_000);
		await t.restart();
		expect(await t.client.store.getOrCreate("many").countMany()).toBe(150_000);
	}, 60_000);
});
