import type { Redactor } from "./redact.js";
import { REDACT_MARGIN, renderJson } from "./render-json.js";

/** The most characters of a pending call's input shown; longer inputs are cut, and say so. */
export const MAX_APPROVAL_CHARS = 16_000;

/**
 * A high-risk call's checked input as the person deciding sees it: what the
 * tool will run with, written as JSON text (see {@link renderJson}: a Map,
 * a Set, a BigInt or a cycle shown faithfully), redacted, at most `maxChars`
 * characters. (`JSON.stringify` showed a Map as `{}` and threw on a BigInt,
 * which failed the turn.) Tool results are written out the same way
 * (tool-result.ts).
 */
export function renderForApproval(
	value: unknown,
	redactor: Redactor,
	maxChars = MAX_APPROVAL_CHARS,
): string {
	const rendered = renderJson(value, maxChars + REDACT_MARGIN);
	// Redacted before the cut: a secret the cut crosses is replaced whole.
	const redacted = redactor.redact(rendered.text);
	if (!rendered.cut && redacted.length <= maxChars) return redacted;
	return `${redacted.slice(0, maxChars)}… [cut at ${maxChars} characters]`;
}
