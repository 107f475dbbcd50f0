// How the inspector app shows names a client chose (inspector/src/visible-key.ts):
// a name mixing Latin letters with look-alikes of them is shown with those as
// escapes. Cyrillic and Greek were; Armenian `օ` and a U+2010 hyphen were not,
// and `payments‐pr\u0585d` read as `payments-prod` (an attacker probe, 2026-11-28).
import { describe, expect, it } from "vitest";
import { parseKeyText, visibleKey, visibleName } from "../../inspector/src/visible-key.js";

describe("a name as the inspector shows it", () => {
	it("escapes look-alikes of Latin letters and of '-' in a name with Latin letters", () => {
		expect(visibleName("payments-pr\u043ed")).toBe("payments-pr\\u{43e}d");
		expect(visibleName("payments-pr\u0585d")).toBe("payments-pr\\u{585}d");
		expect(visibleName("payments\u2010prod")).toBe("payments\\u{2010}prod");
		expect(visibleName("payments\u2212prod")).toBe("payments\\u{2212}prod");
		expect(visibleName("\u13aacme")).toBe("\\u{13aa}cme");
	});

	it("shows a name in one script, and plain ASCII, as it is", () => {
		expect(visibleName("привет")).toBe("привет");
		expect(visibleName("բարև")).toBe("բարև");
		expect(visibleName("payments-prod")).toBe("payments-prod");
		expect(visibleName("naïve-café")).toBe("naïve-café");
	});
});

// `["payments / prod"]` and `["payments", "prod"]` showed alike, in the list, the header and the
// destroy dialog (an attacker probe, 2026-11-29).
describe("a key as the inspector shows it", () => {
	it("tells a part holding ' / ' from two parts, and shows an empty part", () => {
		expect(visibleKey(["payments", "prod"])).toBe("payments / prod");
		expect(visibleKey(["payments / prod"])).toBe("payments \\/ prod");
		expect(visibleKey(["a\\", "b"])).toBe("a\\\\ / b");
		expect(visibleKey(["a", "", "b"])).toBe('a / "" / b');
		// Hidden and look-alike characters are escaped as in names; a part holding such an
		// escape as text is told from them.
		expect(visibleKey(["pr\u043ed"])).toBe("pr\\u{43e}d");
		expect(visibleKey(["pr\\u{43e}d"])).toBe("pr\\\\u{43e}d");
		expect(new Set([visibleKey(["x/y"]), visibleKey(["x", "y"]), visibleKey(["x\\/y"])]).size).toBe(
			3,
		);
	});
});

// The create dialog split at every `/`: a key shown as `payments \\/ prod` could not be typed
// back (a walkthrough, 2026-11-29).
describe("a key typed into the create dialog", () => {
	it("reads the keys the inspector shows back", () => {
		for (const key of [
			[],
			["a"],
			["payments", "prod"],
			["payments / prod"],
			["a\\", "b"],
			["x", "", "y"],
			["a\\/b"],
		])
			expect(parseKeyText(visibleKey(key)), JSON.stringify(key)).toEqual(key);
		expect(parseKeyText(" room / 42 ")).toEqual(["room", "42"]);
		expect(parseKeyText("   ")).toEqual([]);
	});
});
