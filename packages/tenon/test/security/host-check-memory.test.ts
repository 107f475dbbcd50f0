// The Host check remembers the Host values it allowed (a client repeats its
// own on every request), so it does not parse them again: what it remembers
// must never let another value through, and a flood of distinct allowed
// values (every port of an allowed name) must not grow it without bound.
import { describe, expect, it } from "vitest";
import { BrowserGuard } from "../../src/server/browser-guard.js";
import type { RequestHead } from "../../src/server/incoming.js";

function withHost(host: string | null): RequestHead {
	return {
		method: "POST",
		url: "http://localhost/gateway/x/action/y",
		headers: { get: (name) => (name.toLowerCase() === "host" ? host : null) },
	};
}

describe("the Host check's memory of allowed values", () => {
	it("still refuses other names, after allowing one many times", () => {
		const guard = new BrowserGuard({ allowedHosts: ["localhost", "*.example.com"] });
		for (let i = 0; i < 10; i++) guard.checkHost(withHost("localhost:6420"));
		guard.checkHost(withHost("app.example.com"));
		for (const host of ["evil.com", "localhost.evil.com", "example.com", "", "10.0.0.1", null])
			expect(() => guard.checkHost(withHost(host)), String(host)).toThrow(
				expect.objectContaining({ group: "auth", code: "host_not_allowed" }),
			);
		// The remembered values are exact: a near variant is checked (and allowed or not) anew.
		expect(() => guard.checkHost(withHost("localhost:6420, evil.com"))).toThrow();
		guard.checkHost(withHost("LOCALHOST:6420"));
	});

	it("allows every port of an allowed name past what it remembers", () => {
		const guard = new BrowserGuard({ allowedHosts: ["localhost"] });
		for (let port = 1; port <= 500; port++) guard.checkHost(withHost(`localhost:${port}`));
		expect(() => guard.checkHost(withHost("evil.com:1"))).toThrow();
		guard.checkHost(withHost("localhost:499"));
	});

	it("IP addresses, where allowed, are remembered as any other value", () => {
		const guard = new BrowserGuard({ allowedHosts: ["localhost"], allowIpHosts: true });
		guard.checkHost(withHost("10.0.0.1:80"));
		guard.checkHost(withHost("10.0.0.1:80"));
		expect(() => guard.checkHost(withHost("evil.com"))).toThrow();
	});
});
