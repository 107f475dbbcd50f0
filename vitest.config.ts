import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources through the
// "tenon-source" export condition, so tests never need a build step.
const conditions = ["tenon-source", "import", "module", "node", "default"];

export default defineConfig({
	resolve: { conditions },
	ssr: { resolve: { conditions, externalConditions: ["tenon-source"] } },
	test: {
		include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts", "test/**/*.test.ts"],
		environment: "node",
		testTimeout: 30_000,
		hookTimeout: 30_000,
		pool: "forks",
		reporters: process.env.CI_JSON_REPORT
			? ["default", ["json", { outputFile: process.env.CI_JSON_REPORT }]]
			: ["default"],
		env: { TENON_LOG_LEVEL: process.env.TENON_LOG_LEVEL ?? "warn" },
	},
});
