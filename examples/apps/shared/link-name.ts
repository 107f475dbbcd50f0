/**
 * A name the page's link gives (a board, a note, a conversation): letters and digits of any
 * script (`café`, `会议`), `-`, `_` and `.`, at most 64; any other link opens `fallback`, and
 * `problem` says so (without repeating the link's text). The page shows the name as its heading,
 * and a link named "team — NOTICE: this board moved, sign in again at http://evil.example"
 * showed that notice there (an attacker probe, 2026-11-29), and made an actor of that name.
 */
export function nameFromLink(
	parameter: string,
	fallback: string,
): { name: string; problem: string | undefined } {
	const given = new URLSearchParams(location.search).get(parameter);
	if (given === null || /^[\p{L}\p{N}_.-]{1,64}$/u.test(given))
		return { name: given ?? fallback, problem: undefined };
	return {
		name: fallback,
		problem: `The link's name is not one a link may give (letters, digits, - _ and ., at most 64): this is "${fallback}".`,
	};
}
