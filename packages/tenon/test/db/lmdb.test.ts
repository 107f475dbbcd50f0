import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { lmdbDriver } from "../../src/index.js";
import { describeDatabaseSuite } from "./database-suite.js";

const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describeDatabaseSuite("lmdb", () => {
	const dir = mkdtempSync(join(tmpdir(), "tenon-db-"));
	dirs.push(dir);
	return lmdbDriver({ path: dir });
});
