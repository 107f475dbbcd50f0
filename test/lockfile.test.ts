// `npm ci` must accept the committed lockfile (see scripts/complete-lockfile.mjs).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

// The root lockfile, and the benchmark peers' (installed by `npm run bench`).
it.each(["package-lock.json", "bench/package-lock.json"])(
	"%s lists every optional platform package, so npm ci accepts it",
	(lockfile) => {
		const root = join(import.meta.dirname, "..");
		const result = spawnSync(
			process.execPath,
			["scripts/complete-lockfile.mjs", lockfile, "--check"],
			{ cwd: root, encoding: "utf8" },
		);
		expect(result.stderr).toBe("");
		expect(result.status).toBe(0);
	},
);
