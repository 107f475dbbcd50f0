import { describe, expect, it } from "vitest";
import { visibleText } from "./visible-text.js";

describe("visibleText", () => {
	const text = visibleText(20);
	it("takes ordinary text, emoji sequences, right-to-left scripts and new lines", () => {
		for (const ok of [
			"hello",
			"two\nlines\tand a tab",
			"👨‍👩‍👧 family",
			"שלום",
			"می‌خواهم",
			"Tiếng Việt",
			"नमस्ते",
			"1\ufe0f\u20e3",
		])
			expect(text.safeParse(ok).success, ok).toBe(true);
	});
	it("refuses control characters, direction overrides and isolates, and invisible-only text", () => {
		for (const bad of [
			"\u0000",
			"a\u001b[2J",
			"\u202eadmin",
			"x\u2066y",
			"   ",
			"\u200b\u200d",
			"\u0085",
			// Direction marks, separators and a byte-order mark (a probe, 2026-11-29).
			"1\u200f2",
			"\u200eabc",
			"a\u061cb",
			"a\u2028b",
			"\ufeffa",
			// Letters and symbols that draw nothing, and marks with no letter (a probe, 2026-11-28).
			"\u3164".repeat(5),
			"\uffa0\u115f\u1160",
			"\u2800",
			"\u034f\u17b4",
			"\u0301\u0301",
			`a${"\u0301".repeat(9)}`,
			`a${`${"\u0301".repeat(8)}\u200d`.repeat(30)}`,
		])
			expect(text.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
	});
	it("refuses text over its length", () => {
		expect(text.safeParse("x".repeat(21)).success).toBe(false);
	});
});
