import { z } from "zod";

// Text that people read in the example apps (chat messages, notes, to-dos, reasons): a message
// of control characters or a right-to-left override was stored and shown as it came (an
// attacker probe, 2026-11-27: `"\u202e"` and 279 spaces filled a board note; a NUL and an
// escape sequence went into a chat). The apps render text escaped, so this is about what a
// reader sees: hidden direction changes (an override makes `moc.knab@nimda` read as an
// address) and text with nothing to see.

/**
 * Control characters but tab, newline and carriage return; bidirectional overrides, isolates
 * and marks (the left-to-right, right-to-left and Arabic letter marks reorder the digits and
 * punctuation around them: an attacker probe, 2026-11-29); line and paragraph separators; and
 * a byte-order mark.
 */
const HIDDEN =
	// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
	/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/u;
/**
 * Something to see: not white space, a format character (zero-width joiners and the like), a
 * combining mark alone, nor a letter or symbol that draws nothing (the Hangul fillers, the
 * blank Braille pattern): `"\u3164"` fifty times was a blank board note (an attacker probe,
 * 2026-11-28).
 */
const VISIBLE = /[^\s\p{Cf}\p{M}\u115f\u1160\u2800\u3164\uffa0]/u;
/**
 * More combining marks in a row than any script needs (Vietnamese and Indic text stack two or
 * three, an emoji keycap two): hundreds on one letter draw over the lines around it.
 */
const MAX_MARKS_IN_A_ROW = 8;
// Format characters between marks do not end the row: a zero-width joiner after every eight
// marks let 240 stack on one letter (a review, 2026-11-28).
const STACKED_MARKS = new RegExp(`(?:\\p{M}\\p{Cf}*){${MAX_MARKS_IN_A_ROW + 1}}`, "u");

/** A string with nothing hidden (any length; its own checks decide what is too long or blank). */
export function withoutHidden() {
	return z
		.string()
		.refine(
			(text) => !HIDDEN.test(text),
			"control characters and direction overrides are not allowed",
		);
}

/** True when `text` has nothing to see (white space, format characters, marks, blank letters only). */
export function isBlank(text: string): boolean {
	return !VISIBLE.test(text);
}

/** A string of at most `max` characters, with something visible and nothing hidden. */
export function visibleText(max: number) {
	return withoutHidden()
		.max(max)
		.refine((text) => !isBlank(text), "the text needs something visible")
		.refine(
			(text) => !STACKED_MARKS.test(text),
			`at most ${MAX_MARKS_IN_A_ROW} combining marks on one character`,
		);
}
