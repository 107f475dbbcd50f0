// URLs as the client's error messages show them. Messages end up in logs:
// before 2026-11-27 they held the endpoint's user and password
// (`http://user:secret@host`) and the query (a creation's input, a raw
// request's own), also inside fetch's own error text (a walkthrough, then a
// review).

/** `url` without its user, password and query (`origin` + path). */
export function shownUrl(url: string): string {
	try {
		const parsed = new URL(url);
		return `${parsed.origin}${parsed.pathname}`;
	} catch {
		return "the endpoint";
	}
}

/** Any user and password in a URL of `text`, as `scheme://user:password@host` (a password may hold `@`). */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi;

/** `text` (an error's own words) with `url` shown as {@link shownUrl}, and no URL's user or password. */
export function withoutSecrets(text: string, url: string): string {
	const shown = shownUrl(url);
	let cleaned = text.split(url).join(shown);
	// As `new URL` writes it back (fetch's errors quote that form: a lower-case host, escapes).
	try {
		cleaned = cleaned.split(new URL(url).href).join(shown);
	} catch {}
	return cleaned.replace(USERINFO, "$1");
}
