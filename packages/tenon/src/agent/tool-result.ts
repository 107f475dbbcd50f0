import type { Redactor } from "./redact.js";
import { REDACT_MARGIN, renderJson } from "./render-json.js";

/** What the model reads when a tool's result could not be written out at all. */
export const UNWRITABLE_RESULT = JSON.stringify({
	note: "the tool ran, but its result could not be written out",
});

/**
 * A tool's result as the model and the transcript get it: a string as it
 * is, anything else written as JSON text the way a pending call's input is
 * shown ({@link renderJson}: a Map, a Set, a BigInt or a cycle faithfully),
 * redacted, at most `maxChars` characters (a longer one is cut, and says
 * so). Cut before it is redacted, with {@link REDACT_MARGIN} characters more
 * so a secret the cut crosses is caught whole: redacting megabytes a tool
 * fetched cost seconds of the loop.
 *
 * Never throws: the tool ran and its side effects happened, so a result
 * that cannot be written out must not count as the tool failing (the model,
 * told so, called a refund again). `JSON.stringify` threw on a BigInt or a
 * cycle, and showed a Map or a Set as `{}`.
 */
export function toolResultText(value: unknown, redactor: Redactor, maxChars: number): string {
	try {
		const budget = maxChars + REDACT_MARGIN;
		let text: string;
		let length: string;
		if (typeof value === "string") {
			text = value;
			length = String(value.length);
		} else {
			const rendered = renderJson(value, budget);
			text = rendered.text;
			// A rendering stops at its budget: how long the whole would be is not known.
			length = rendered.cut ? `at least ${text.length}` : String(text.length);
		}
		const redacted = redactor.redact(text.slice(0, budget));
		return text.length > maxChars || redacted.length > maxChars
			? `${redacted.slice(0, maxChars)}... [cut: ${length} characters]`
			: redacted;
	} catch {
		// Nothing of the result, not even an error's message: it was not redacted.
		return UNWRITABLE_RESULT;
	}
}
