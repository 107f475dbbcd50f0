import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	describeAlarmConformance,
	describeDirectoryConformance,
	describeStoreConformance,
} from "tenon/test/storage-conformance";
import { describe, expect, it } from "vitest";
import { openLmdbEnv } from "../../src/storage/drivers/lmdb/env.js";
import { type LmdbDriverOptions, lmdbDriver } from "../../src/storage/drivers/lmdb/index.js";
import { FenceCache } from "../../src/storage/drivers/lmdb/overlay-view.js";

const dirs: string[] = [];
function targetWith(options: LmdbDriverOptions) {
	return {
		createDriver: async () => {
			const dir = mkdtempSync(join(tmpdir(), "tenon-lmdb-"));
			dirs.push(dir);
			return lmdbDriver({ path: dir, ...options });
		},
		cleanup: async () => {
			for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
		},
	};
}

// The default: commits go to the commit log, reads merge its overlay with LMDB.
const target = targetWith({});
describeDirectoryConformance("lmdb", target);
describeStoreConformance("lmdb", target);
describeAlarmConformance("lmdb", target);

// The commit log checkpointed after every commit (reads then come from LMDB),
// and a log of two blocks, so it fills, checkpoints and rewinds all the time.
for (const [label, commitLog] of [
	["checkpoint after every commit", { maxOverlayBytes: 0 }],
	["checkpoints of one write per transaction", { maxOverlayBytes: 0, checkpointChunkOps: 1 }],
	["a log of 8 KiB", { initialBytes: 4096, maxBytes: 8192 }],
	// Records written through the page cache (the default bypasses it with O_DIRECT).
	["a log written through the page cache", { directWrites: false, maxBytes: 8192 * 4 }],
	["no commit log", false],
] as const) {
	const variant = targetWith({ commitLog });
	describeStoreConformance(`lmdb, ${label}`, variant);
	describeAlarmConformance(`lmdb, ${label}`, variant);
}

describe("lmdb driver specifics", () => {
	it("keeps at most its bound of fences, the actor that committed least lately going first", () => {
		const cache = new FenceCache(2);
		cache.remember("a", 1);
		cache.remember("b", 2);
		cache.remember("a", 3); // an update, not a new entry: "a" committed last now
		cache.remember("c", 4);
		expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([3, undefined, 4]);
		// An actor that keeps committing stays while many others commit once each.
		const busy = new FenceCache(4);
		for (let i = 0; i < 100; i++) {
			busy.remember("hot", i);
			busy.remember(`cold-${i}`, i);
		}
		expect(busy.get("hot")).toBe(99);
	});

	it("answers a key too long for its directory with request/invalid_key, not an internal error", async () => {
		// Only with limits raised past the defaults (which fit) can a key get here.
		const dir = mkdtempSync(join(tmpdir(), "tenon-lmdb-key-"));
		try {
			const handles = await lmdbDriver({ path: dir }).open();
			await expect(
				handles.directory.getByKey("default", "box", ["k".repeat(2_000)]),
			).rejects.toMatchObject({ group: "request", code: "invalid_key" });
			await handles.close();
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it.each([
		["the commit log", {}],
		["the commit log through the page cache", { commitLog: { directWrites: false } }],
	] as const)(
		"refuses a commit after it was closed, with %s, and writes into no other file",
		async (_, options) => {
			// The log kept its descriptor's number after close: a commit then wrote and synced its
			// record into the next file the process opened, and was acknowledged (a review).
			const dir = mkdtempSync(join(tmpdir(), "tenon-lmdb-closed-"));
			try {
				const handles = await lmdbDriver({ path: join(dir, "data"), ...options }).open();
				const bytes = (text: string) => new TextEncoder().encode(text);
				const put = (value: string) => ({
					actorId: "closed-actor",
					fence: 1,
					puts: [[bytes("k"), bytes(value)]] as [Uint8Array, Uint8Array][],
					deletes: [],
				});
				await handles.store.commit([put("before")]);
				await handles.close();
				const others = Array.from({ length: 8 }, (_, i) => {
					const path = join(dir, `other-${i}`);
					const fd = openSync(path, "w+");
					writeSync(fd, new Uint8Array(8192).fill(0x2e));
					return { path, fd };
				});
				try {
					expect(() => handles.store.commitSync?.([put("after, sync")])).toThrow(/closed/);
					await expect(handles.store.commit([put("after")])).rejects.toThrow(/closed/);
				} finally {
					for (const { fd } of others) closeSync(fd);
				}
				for (const { path } of others)
					expect(readFileSync(path).subarray(0, 4).toString("latin1")).toBe("....");
				await handles.close(); // twice: closes nothing another file holds now
				const again = await lmdbDriver({ path: join(dir, "data"), ...options }).open();
				expect(await again.store.get("closed-actor", [bytes("k")])).toEqual([bytes("before")]);
				await again.close();
			} finally {
				rmSync(dir, { recursive: true, force: true });
			}
		},
	);

	it("refuses a data directory another live process holds", async () => {
		const dir = mkdtempSync(join(tmpdir(), "tenon-lmdb-lock-"));
		try {
			const first = await lmdbDriver({ path: dir }).open();
			// The same process may not open it twice either: two owners would both write.
			await expect(lmdbDriver({ path: dir }).open()).rejects.toThrow();
			await first.close();
			const second = await lmdbDriver({ path: dir }).open();
			await second.close();
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	// lmdb-js doubles a small map as the file grows and never unmaps the old
	// ones, so every page read through one stayed resident: at 100,000 idle
	// actors the server held 2.4x the data file in RSS (bench row 6).
	it.skipIf(process.platform !== "linux")(
		"maps the data file once as it grows (no stale maps holding pages)",
		async () => {
			const dir = mkdtempSync(join(tmpdir(), "tenon-lmdb-map-"));
			const path = join(dir, "data.mdb");
			const env = await openLmdbEnv(dir);
			try {
				const value = new Uint8Array(1024).fill(7);
				const encoder = new TextEncoder();
				for (let batch = 0; batch < 8; batch++) {
					await env.root.transaction(() => {
						for (let i = 0; i < 1_000; i++)
							void env.data.put(encoder.encode(`k-${batch}-${i}`), value);
					});
				}
				// Read everything back, as a checkpoint's and a wake's reads do.
				let read = 0;
				for (const { value } of env.data.getRange({})) read += value.length;
				expect(read).toBe(8_000 * 1024);
				const maps = readFileSync("/proc/self/maps", "utf8")
					.split("\n")
					.filter((line) => line.endsWith(path));
				expect(maps).toHaveLength(1);
			} finally {
				await env.root.close();
				rmSync(dir, { recursive: true, force: true });
			}
		},
	);
});
