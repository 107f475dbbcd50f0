// The committed inspector build (packages/tenon/inspector-dist, served at
// /inspector/ and shipped in the package) is the build of the current sources.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

describe("inspector build", () => {
	it("the committed build is the build of the current sources (npm run build:inspector)", async () => {
		const { build } = await import("vite");
		const outDir = mkdtempSync(join(tmpdir(), "tenon-inspector-build-"));
		// As `npm run build:inspector` builds (the test runner's NODE_ENV=test changes what React's modules contain).
		const nodeEnv = process.env.NODE_ENV;
		process.env.NODE_ENV = "production";
		try {
			await build({
				configFile: join(root, "inspector", "vite.config.ts"),
				logLevel: "silent",
				mode: "production",
				build: { outDir, emptyOutDir: true },
			});
			const files = (dir: string) => readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
			// Built file names carry content hashes: a stale build shows as different names.
			expect(files(outDir), "inspector-dist is stale: run npm run build:inspector").toEqual(
				files(join(root, "inspector-dist")),
			);
		} finally {
			process.env.NODE_ENV = nodeEnv;
			rmSync(outDir, { recursive: true, force: true });
		}
	}, 120_000);
});
