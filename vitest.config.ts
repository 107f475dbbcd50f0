import { configDefaults, defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources through the
// "tenon-source" export condition, so tests never need a build step.
const conditions = ["tenon-source", "import", "module", "node", "default"];
// Test workers run Node with the SSR conditions (`--conditions`), which apply to `require` too:
// without "module" there, CommonJS packages such as the OpenTelemetry SDK do not `require` an
// ESM build Node cannot load (@opentelemetry/api's has extensionless imports).
const ssrConditions = conditions.filter((condition) => condition !== "module");

// Test files that run one at a time, after the others: they measure (the bench smoke test),
// race a time budget (the SQL console must fill 64 MiB within its 2 s) or a CPU share (Yjs
// sync answers), drive Chromium or build with Vite, and want the machine to themselves. The
// rest run on two workers: on one, the suite took 20 minutes on CI's two cores; on two, 15.
const alone = [
	"packages/tenon/test/browser/**/*.test.ts",
	"packages/tenon/test/compat/rivetkit-react.test.ts",
	"packages/tenon/test/react/hooks-in-chromium.test.ts",
	"examples/apps/apps.test.ts",
	"test/bench-smoke.test.ts",
	"packages/tenon/test/inspector/inspector-sql-memory.test.ts",
	"packages/tenon/test/yjs/step1-time-budget.test.ts",
	"packages/tenon/test/inspector/inspector-build.test.ts",
	"packages/tenon/test/client/redirects.test.ts",
];

export default defineConfig({
	resolve: { conditions },
	ssr: { resolve: { conditions: ssrConditions, externalConditions: ["tenon-source"] } },
	test: {
		// Each project names its files (a project's `include` adds to a root one).
		projects: [
			{
				extends: true,
				test: {
					name: "shared",
					include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts", "test/**/*.test.ts"],
					exclude: [...configDefaults.exclude, ...alone],
					maxWorkers: 2,
					sequence: { groupOrder: 0 },
				},
			},
			{
				extends: true,
				test: { name: "alone", include: alone, maxWorkers: 1, sequence: { groupOrder: 1 } },
			},
		],
		environment: "node",
		testTimeout: 30_000,
		hookTimeout: 30_000,
		// `expect.poll` waits for what the server does next: 1 s (Vitest's default) failed on a
		// loaded two-core machine (16 calls of 20 in a second, cluster/owner-cache). A poll that
		// passes returns at once; only a failing one waits the longer time.
		expect: { poll: { timeout: 10_000 } },
		pool: "forks",
		reporters: process.env.CI_JSON_REPORT
			? ["default", ["json", { outputFile: process.env.CI_JSON_REPORT }]]
			: ["default"],
		env: { TENON_LOG_LEVEL: process.env.TENON_LOG_LEVEL ?? "warn" },
	},
});
