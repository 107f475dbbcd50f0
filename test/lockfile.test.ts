// `npm ci` must accept the committed lockfile (see scripts/complete-lockfile.mjs).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

it("lists every optional platform package, so npm ci accepts the lockfile", () => {
	const root = join(import.meta.dirname, "..");
	const result = spawnSync(process.execPath, ["scripts/complete-lockfile.mjs", "--check"], {
		cwd: root,
		encoding: "utf8",
	});
	expect(result.stderr).toBe("");
	expect(result.status).toBe(0);
});
