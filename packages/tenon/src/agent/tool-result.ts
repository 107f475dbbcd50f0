import { cutText } from "../common/text-cut.js";
import { type Redactor, redactedHead } from "./redact.js";
import { renderJson } from "./render-json.js";

/** What the model reads when a tool's result could not be written out at all. */
export const UNWRITABLE_RESULT = JSON.stringify({
	note: "the tool ran, but its result could not be written out",
});

/**
 * A tool's result as the model and the transcript get it: a string as it
 * is, anything else written as JSON text the way a pending call's input is
 * shown ({@link renderJson}: a Map, a Set, a BigInt or a cycle faithfully,
 * each string redacted on its own), redacted, at most `maxChars` characters
 * (a longer one is cut, and says so). Only a head of a long result is
 * redacted ({@link redactedHead}: redacting megabytes a tool fetched cost
 * seconds of the loop), cut where no secret can cross the cut.
 *
 * Never throws: the tool ran and its side effects happened, so a result
 * that cannot be written out must not count as the tool failing (the model,
 * told so, called a refund again). `JSON.stringify` threw on a BigInt or a
 * cycle, and showed a Map or a Set as `{}`.
 */
export function toolResultText(value: unknown, redactor: Redactor, maxChars: number): string {
	try {
		let text: string;
		let length: string;
		let cut: boolean;
		if (typeof value === "string") {
			const head = redactedHead(value, redactor, maxChars);
			text = head.text;
			length = String(value.length);
			cut = !head.whole;
		} else {
			// Redacted string by string: a configured secret holding a quote or a
			// backslash, escaped before the whole text was redacted, got out (and a
			// pattern could match from one string into another), before 2026-11-25.
			const rendered = renderJson(value, maxChars, redactor);
			text = rendered.text;
			cut = rendered.cut;
			// A rendering stops at its budget: how long the whole would be is not known.
			length = cut ? `at least ${text.length}` : String(text.length);
		}
		return cut || text.length > maxChars
			? `${cutText(text, maxChars)}... [cut: ${length} characters]`
			: cutText(text);
	} catch {
		// Nothing of the result, not even an error's message: it was not redacted.
		return UNWRITABLE_RESULT;
	}
}
