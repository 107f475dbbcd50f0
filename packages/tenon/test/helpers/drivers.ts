import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { lmdbDriver, memoryDriver } from "../../src/index.js";
import type { StorageDriver } from "../../src/storage/interfaces.js";

/**
 * The embedded drivers as `describe.each` takes them: memory, and LMDB in a
 * fresh directory per call (named `prefix...`), removed after the file's tests.
 */
export function embeddedDrivers(prefix: string): [string, () => StorageDriver][] {
	const dirs: string[] = [];
	afterAll(() => {
		for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
	});
	return [
		["memory", () => memoryDriver()],
		[
			"lmdb",
			() => {
				const dir = mkdtempSync(join(tmpdir(), prefix));
				dirs.push(dir);
				return lmdbDriver({ path: dir });
			},
		],
	];
}
