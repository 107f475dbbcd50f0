// A cron expression naming a date no month has (the 31st of the 30-day
// months) made croner walk every year to 9999 before it said "never": 150
// to 210 ms of blocked event loop per `c.cron.set`, from an app that takes
// its users' expressions (a probe, 2026-11-27). Such dates are now seen
// without the search; what croner still searches stays short.
import { describe, expect, it } from "vitest";
import { namesNoRealDate } from "../../src/runtime/cron-dates.js";
import { nextCronRun } from "../../src/runtime/schedule-records.js";

const NEVER = [
	"* * * 31W 2,4,6,9,11 * 2099-9999",
	"0 0 0 31 4,6,9,11 * *",
	"0 0 31 APR,JUN,SEP,NOV *",
	"0 0 0 30-31 2 ? *",
	"0 0 0 31 4-11/7 * *", // April and November
];

describe("cron expressions that never fire", () => {
	it("are told apart without croner's search, and refused quickly", () => {
		for (const expression of NEVER) {
			expect(namesNoRealDate(expression), expression).toBe(true);
			const started = performance.now();
			expect(() => nextCronRun(expression, "America/New_York", Date.now())).toThrow(
				expect.objectContaining({ group: "schedule", code: "invalid_cron" }),
			);
			// 150 to 210 ms each before (croner's search to year 9999); under 5 ms now, with room.
			expect(performance.now() - started, expression).toBeLessThan(50);
		}
	});

	it("leaves to croner what may fire, or what the check does not read", () => {
		for (const expression of [
			"0 9 * * *",
			"0 0 0 31 1-12 * *",
			"0 0 0 29 2 * *",
			"0 0 0 31 4,6 MON *", // any Monday of those months (croner ORs the two fields)
			"0 0 0 L 4 * *",
			"0 0 0 31 */2 * *", // January, March, ...
			"@monthly",
		]) {
			expect(namesNoRealDate(expression), expression).toBe(false);
			expect(nextCronRun(expression, undefined, Date.now()), expression).toBeGreaterThan(
				Date.now(),
			);
		}
	});
});
