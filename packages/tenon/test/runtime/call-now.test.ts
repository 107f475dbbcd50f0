// callNow (src/common/timeouts.ts): an action's call, read at once when it
// settled as it ran (its turn then needs no promise and no timeout timer).
import { describe, expect, it } from "vitest";
import { callNow, isCallingUserCode } from "../../src/common/timeouts.js";

describe("callNow", () => {
	it("a value is read at once", () => {
		const call = callNow(() => 7);
		expect(call).toEqual({ now: true, value: 7, failed: false });
	});

	it("a throw is read at once, as the error", () => {
		const error = new Error("sync");
		const call = callNow(() => {
			throw error;
		});
		expect(call.now && call.failed && call.error).toBe(error);
	});

	it("a throw of undefined is still a failure", () => {
		const call = callNow(() => {
			throw undefined;
		});
		expect(call.now && call.failed).toBe(true);
	});

	it("a promise, even a resolved one, or any thenable is waited for", async () => {
		const makers: (() => unknown)[] = [
			() => Promise.resolve(1),
			() => new Promise<number>(() => {}),
			// biome-ignore lint/suspicious/noThenProperty: a thenable that is not a promise, on purpose
			() => ({ then: (resolve: (value: number) => void) => resolve(2) }),
		];
		for (const make of makers) expect(callNow(make).now).toBe(false);
		const thenable = callNow<unknown>(() => ({
			// biome-ignore lint/suspicious/noThenProperty: a thenable that is not a promise, on purpose
			then: (resolve: (value: number) => void) => resolve(2),
		}));
		expect(thenable.now).toBe(false);
		if (!thenable.now) await expect(thenable.promise).resolves.toBe(2);
	});

	it("null, undefined and functions without then are values", () => {
		// biome-ignore lint/suspicious/noThenProperty: a thenable that is not a promise, on purpose
		for (const value of [null, undefined, () => 1, { then: 5 }]) {
			const call = callNow(() => value);
			expect(call.now && !call.failed && call.value).toBe(value);
		}
	});

	it("counts as user code while it runs, and not after", () => {
		let inside = false;
		callNow(() => {
			inside = isCallingUserCode();
		});
		expect(inside).toBe(true);
		expect(isCallingUserCode()).toBe(false);
		callNow(() => {
			throw new Error("x");
		});
		expect(isCallingUserCode()).toBe(false);
	});
});
