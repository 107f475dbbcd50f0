// The workflow tab says why a replay is refused once, where the refusal starts, not on every
// step after a rolled-back one (inspector/src/replay-refusals.ts; a walkthrough, 2026-11-29).
import { describe, expect, it } from "vitest";
import { firstRefusal } from "../../inspector/src/replay-refusals.js";

const rolledBack = { message: "a step before it was rolled back" };
const consumed = { message: "it received queue messages" };

describe("where the workflow tab says why a replay is refused", () => {
	it("says each reason once, where it starts, and nothing for nested steps", () => {
		const entries = [
			{ path: [0] },
			{ path: [1], replayRefused: consumed },
			{ path: [2], replayRefused: rolledBack },
			{ path: [2, 0], replayRefused: rolledBack },
			{ path: [3], replayRefused: rolledBack },
			{ path: [4], replayRefused: rolledBack },
			{ path: [5] },
			{ path: [6], replayRefused: rolledBack },
		];
		expect(entries.map((_, index) => firstRefusal(entries, index))).toEqual([
			false,
			true,
			true,
			false,
			false,
			false,
			false,
			true,
		]);
	});
});
