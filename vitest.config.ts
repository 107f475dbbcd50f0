import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources through the
// "tenon-source" export condition, so tests never need a build step.
const conditions = ["tenon-source", "import", "module", "node", "default"];
// Test workers run Node with the SSR conditions (`--conditions`), which apply to `require` too:
// without "module" there, CommonJS packages such as the OpenTelemetry SDK do not `require` an
// ESM build Node cannot load (@opentelemetry/api's has extensionless imports).
const ssrConditions = conditions.filter((condition) => condition !== "module");

export default defineConfig({
	resolve: { conditions },
	ssr: { resolve: { conditions: ssrConditions, externalConditions: ["tenon-source"] } },
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
