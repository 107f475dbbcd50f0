// Prints the CI summary line "N passed, N failed" from Vitest's JSON report.
// A suite that fails to load, an unhandled error, or a typecheck/lint failure
// (which stops `npm test` before Vitest runs) counts as a failure, so the line
// never claims a clean run that did not happen.
import { existsSync, readFileSync } from "node:fs";

const [reportPath, statusText] = process.argv.slice(2);
const status = Number(statusText ?? "1");
let passed = 0;
let failed = 0;
if (reportPath && existsSync(reportPath)) {
	const report = JSON.parse(readFileSync(reportPath, "utf8"));
	passed = report.numPassedTests ?? 0;
	failed = report.numFailedTests ?? 0;
	// Suites that failed to load have no failed tests of their own.
	const brokenSuites = (report.testResults ?? []).filter(
		(suite) =>
			suite.status === "failed" &&
			(suite.assertionResults ?? []).every((test) => test.status !== "failed"),
	).length;
	failed += brokenSuites;
} else if (status !== 0) {
	console.log("typecheck or lint failed before the tests ran (see above)");
}
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
