// callSettling (src/common/timeouts.ts): an action's call, and whether it
// settled at once, which is when the turn needs no timeout timer.
import { describe, expect, it } from "vitest";
import { callSettling } from "../../src/common/timeouts.js";

describe("callSettling", () => {
	it("a value settles at once", async () => {
		const call = callSettling(() => 7);
		expect(call.settledNow).toBe(true);
		await expect(call.promise).resolves.toBe(7);
	});

	it("a throw settles at once, as a rejection", async () => {
		const call = callSettling(() => {
			throw new Error("sync");
		});
		expect(call.settledNow).toBe(true);
		await expect(call.promise).rejects.toThrow("sync");
	});

	it("a promise, even a resolved one, or any thenable does not", async () => {
		const makers: (() => unknown)[] = [
			() => Promise.resolve(1),
			() => new Promise<number>(() => {}),
			// biome-ignore lint/suspicious/noThenProperty: a thenable that is not a promise, on purpose
			() => ({ then: (resolve: (value: number) => void) => resolve(2) }),
		];
		for (const make of makers) expect(callSettling(make).settledNow).toBe(false);
		const thenable = callSettling<unknown>(() => ({
			// biome-ignore lint/suspicious/noThenProperty: a thenable that is not a promise, on purpose
			then: (resolve: (value: number) => void) => resolve(2),
		}));
		await expect(thenable.promise).resolves.toBe(2);
	});

	it("null, undefined and functions without then are values", () => {
		// biome-ignore lint/suspicious/noThenProperty: a thenable that is not a promise, on purpose
		for (const value of [null, undefined, () => 1, { then: 5 }]) {
			expect(callSettling(() => value).settledNow).toBe(true);
		}
	});
});
