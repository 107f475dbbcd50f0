import { z } from "zod";

// Text that people read in the example apps (chat messages, notes, to-dos, reasons): a message
// of control characters or a right-to-left override was stored and shown as it came (an
// attacker probe, 2026-11-27: `"\u202e"` and 279 spaces filled a board note; a NUL and an
// escape sequence went into a chat). The apps render text escaped, so this is about what a
// reader sees: hidden direction changes (an override makes `moc.knab@nimda` read as an
// address) and text with nothing to see.

/** Control characters but tab, newline and carriage return, and bidirectional overrides and isolates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const HIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
/** Something to see: not white space nor a format character (zero-width joiners and the like). */
const VISIBLE = /[^\s\p{Cf}]/u;

/** A string with nothing hidden (any length; its own checks decide what is too long or blank). */
export function withoutHidden() {
	return z
		.string()
		.refine(
			(text) => !HIDDEN.test(text),
			"control characters and direction overrides are not allowed",
		);
}

/** True when `text` has nothing to see (white space and format characters only). */
export function isBlank(text: string): boolean {
	return !VISIBLE.test(text);
}

/** A string of at most `max` characters, with something visible and nothing hidden. */
export function visibleText(max: number) {
	return withoutHidden()
		.max(max)
		.refine((text) => !isBlank(text), "the text needs something visible");
}
