import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	describeAlarmConformance,
	describeDirectoryConformance,
	describeStoreConformance,
} from "tenon/test/storage-conformance";
import { describe, expect, it } from "vitest";
import { lmdbDriver } from "../../src/storage/drivers/lmdb/index.js";

const dirs: string[] = [];
const target = {
	createDriver: async () => {
		const dir = mkdtempSync(join(tmpdir(), "tenon-lmdb-"));
		dirs.push(dir);
		return lmdbDriver({ path: dir });
	},
	cleanup: async () => {
		for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
	},
};

describeDirectoryConformance("lmdb", target);
describeStoreConformance("lmdb", target);
describeAlarmConformance("lmdb", target);

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
