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

/**
 * `text` cut to at most `max` UTF-16 units, and before the word the cut
 * falls in (dropped whole; all of it when the text has no whitespace before
 * the cut): for text from elsewhere (a model server's error) cut before it
 * is redacted, a secret the cut crossed was no longer found, and its head
 * showed. A secret without whitespace now leaves whole or not at all.
 */
export function cutBeforeWord(text: string, max: number): string {
	if (text.length <= max) return cutText(text);
	let end = max;
	while (end > 0 && !WHITESPACE.test(text.charAt(end))) end--;
	return cutText(text.slice(0, end), max);
}

const WHITESPACE = /\s/;
