/**
 * A thrown value's message, for a record or a log line; never throws. A value without a
 * prototype has no `toString`, and an error's `message` may be a getter that throws: a
 * timer's run record that threw there kept the timer from being removed, and it fired
 * without end (a review, 2026-11-26).
 */
export function errorText(error: unknown): string {
	try {
		const text = error instanceof Error ? error.message : String(error);
		return typeof text === "string" ? text : String(text);
	} catch {
		return "a thrown value that cannot be written out";
	}
}
