import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	describeAlarmConformance,
	describeDirectoryConformance,
	describeStoreConformance,
} from "tenon/test/storage-conformance";
import { describe, expect, it } from "vitest";
import { type LmdbDriverOptions, lmdbDriver } from "../../src/storage/drivers/lmdb/index.js";

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
	["a log of 8 KiB", { initialBytes: 4096, maxBytes: 8192 }],
	["no commit log", false],
] as const) {
	const variant = targetWith({ commitLog });
	describeStoreConformance(`lmdb, ${label}`, variant);
	describeAlarmConformance(`lmdb, ${label}`, variant);
}

describe("lmdb driver specifics", () => {
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
});
