/**
 * `text` cut to at most `max` UTF-16 units, and well formed: a cut inside an emoji left half a
 * surrogate pair, and so can text from a model server, a tool or a JSON escape (`\ud800`).
 * Such a string has no UTF-8 form, so storage refuses it: an agent's turn that journaled one
 * failed for good, and its conversation took no prompt again (a review, 2026-11-26). Lone
 * halves become U+FFFD.
 */
export function cutText(text: string, max: number = Number.POSITIVE_INFINITY): string {
	const cut = text.length > max ? text.slice(0, max) : text;
	return cut.isWellFormed() ? cut : cut.toWellFormed();
}
