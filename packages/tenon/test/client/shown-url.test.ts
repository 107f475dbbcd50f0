// What the client's error messages show of a URL: they end up in logs. The
// endpoint's user and password and the query (a creation's input) were
// shown whole before 2026-11-27, also inside fetch's own error text (a
// walkthrough, then two reviews: a password holding `@`, a host written
// back in lower case).
import { describe, expect, it } from "vitest";
import { shownUrl, withoutSecrets } from "../../src/client/shown-url.js";

const URL_WITH_SECRETS = "http://user:p@ss@EXAMPLE.com:6420/gateway/box/action/x?rvt-input=secret";

describe("URLs in the client's error messages", () => {
	it("show origin and path only", () => {
		expect(shownUrl(URL_WITH_SECRETS)).toBe("http://example.com:6420/gateway/box/action/x");
		expect(shownUrl("not a url")).toBe("the endpoint");
	});

	it("take the URL out of an error's own text, as given or as URL writes it back", () => {
		const href = new URL(URL_WITH_SECRETS).href;
		for (const text of [
			`TypeError: Request cannot be constructed from a URL that includes credentials: ${URL_WITH_SECRETS}`,
			`fetch failed: ${href} (connect ECONNREFUSED)`,
			"connect to ws://someone:hunter2@other.example/x failed",
			"ws://a:b@c@d.example/ refused",
		]) {
			const cleaned = withoutSecrets(text, URL_WITH_SECRETS);
			expect(cleaned, text).not.toMatch(/p@ss|secret|hunter2|a:b|rvt-/);
		}
		expect(withoutSecrets(`at ${URL_WITH_SECRETS}`, URL_WITH_SECRETS)).toBe(
			"at http://example.com:6420/gateway/box/action/x",
		);
	});
});
