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
 * four, before 2026-11-25).
 */
export function renderForApproval(
	value: unknown,
	redactor: Redactor,
	maxChars = MAX_APPROVAL_CHARS,
): string {
	// Each string is redacted whole (or cut where no secret can cross), so the cut here hides nothing.
	const rendered = renderJson(value, maxChars, redactor);
	if (!rendered.cut && rendered.text.length <= maxChars) return rendered.text;
	return `${cutText(rendered.text, maxChars)}… [cut at ${maxChars} characters]`;
}
