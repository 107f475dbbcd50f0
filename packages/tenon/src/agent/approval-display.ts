import { cutText } from "../common/text-cut.js";
import type { Redactor } from "./redact.js";
import { renderJson } from "./render-json.js";

/** The most characters of a pending call's input shown; longer inputs are cut, and say so. */
export const MAX_APPROVAL_CHARS = 16_000;

/**
 * A high-risk call's checked input as the person deciding sees it: what the
 * tool will run with, written as JSON text (see {@link renderJson}: a Map,
 * a Set, a BigInt or a cycle shown faithfully), redacted string by string,
 * at most `maxChars` characters. (`JSON.stringify` showed a Map as `{}` and
 * threw on a BigInt, which failed the turn.) Tool results are written out
 * the same way (tool-result.ts).
 *
 * Never redacted as a whole text: a pattern matching from one string into
 * another hid the fields between from the person approving (a private key's
 * BEGIN in the first field and its END in the last showed one field of
 * four, before 2026-11-25). Characters that hide or reorder text are
 * shown as their escapes (see {@link HIDDEN_CHARACTERS}).
 */
export function renderForApproval(
	value: unknown,
	redactor: Redactor,
	maxChars = MAX_APPROVAL_CHARS,
): string {
	// Each string is redacted whole (or cut where no secret can cross), so the cut here hides nothing.
	const rendered = renderJson(value, maxChars, redactor);
	const text = rendered.text.replace(HIDDEN_CHARACTERS, escaped);
	if (!rendered.cut && text.length <= maxChars) return text;
	return `${cutText(text, maxChars)}… [cut at ${maxChars} characters]`;
}

/**
 * Characters a person does not see, or that reorder what they see: bidi
 * controls (after U+202E, the text shows right to left: `{"iban":"…"}` read
 * as another number),
 * zero-width and other format characters (every one of Unicode's `Cf`),
 * fillers, variation selectors, line and paragraph separators, and Unicode
 * tags (invisible ASCII). A model's arguments may hold them, so the text
 * approved showed something other than what runs (an attacker probe's
 * suggestion, 2026-11-28). They only occur in strings of the JSON text, so
 * escaping them keeps it JSON with the same value.
 */
const HIDDEN_CHARACTERS =
	// biome-ignore lint/suspicious/noMisleadingCharacterClass: each code point is matched on its own, combining or not
	/[\p{Cf}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u2028\u2029\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]/gu;

/** A character as its JSON escape (`\u202e`; one beyond the BMP as its two halves). */
function escaped(character: string): string {
	let out = "";
	for (let i = 0; i < character.length; i++)
		out += `\\u${character.charCodeAt(i).toString(16).padStart(4, "0")}`;
	return out;
}
