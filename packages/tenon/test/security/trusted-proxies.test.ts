// Behind a reverse proxy or a load balancer every client has the proxy's address, so every
// per-address limit (rates, connections) was shared by all clients (an SRE walkthrough,
// 2026-11-29). With `trustedProxies`, a request from a proxy counts against the address its
// X-Forwarded-For names; anything else sends the header for nothing.
import { describe, expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { TrustedProxies } from "../../src/server/client-address.js";

describe("the client's address behind trusted proxies", () => {
	const proxies = new TrustedProxies(["10.0.0.0/8", "127.0.0.1", "fd00::/8"]);

	it("is read from the right of X-Forwarded-For, past the trusted proxies", () => {
		// Not from a proxy: the header is the client's word, ignored.
		expect(proxies.clientAddress("203.0.113.9", "198.51.100.1")).toBe("203.0.113.9");
		expect(proxies.clientAddress("127.0.0.1", "198.51.100.1")).toBe("198.51.100.1");
		expect(proxies.clientAddress("::ffff:127.0.0.1", "198.51.100.1")).toBe("198.51.100.1");
		// A client that sends its own header: the proxies append the address they saw.
		expect(proxies.clientAddress("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.7")).toBe(
			"198.51.100.1",
		);
		expect(proxies.clientAddress("10.0.0.2", ["6.6.6.6", "198.51.100.1"])).toBe("198.51.100.1");
		expect(proxies.clientAddress("fd00::1", "2001:db8::5")).toBe("2001:db8::5");
		// A port or brackets are taken off (Azure's gateway appends ip:port).
		expect(proxies.clientAddress("10.0.0.2", "198.51.100.8:5555")).toBe("198.51.100.8");
		expect(proxies.clientAddress("10.0.0.2", "[2001:db8::8]:5555")).toBe("2001:db8::8");
		expect(proxies.clientAddress("10.0.0.2", "[2001:db8::9]")).toBe("2001:db8::9");
		// No address: one shared bucket, never the proxy's own (on loopback, exempt from limits:
		// an attacker probe, 2026-11-29).
		expect(proxies.clientAddress("127.0.0.1", "unknown")).toBe("unknown");
		expect(proxies.clientAddress("10.0.0.2", "198.51.100.1, junk, 10.0.0.3")).toBe("unknown");
		// Only proxies: the leftmost.
		expect(proxies.clientAddress("10.0.0.2", "10.0.0.4, 10.0.0.3")).toBe("10.0.0.4");
		expect(proxies.clientAddress("10.0.0.2", undefined)).toBe("10.0.0.2");
	});

	it("refuses entries that are not addresses or ranges", () => {
		// "10.0.0.5/" read as /0 (every address trusted), "/-0" aborted the process (a probe).
		for (const bad of [
			"proxy.example",
			"10.0.0.0/33",
			"10.0.0.0/x",
			"",
			"10.0.0.5/",
			"10.0.0.5/ ",
			"::1/",
			"10.0.0.0/-0",
			"10.0.0.0/0",
			"10.0.0.0/+8",
			"10.0.0.0/8/8",
		])
			expect(() => new TrustedProxies([bad])).toThrow(/trustedProxies/);
	});

	it("is what the per-address rate limit counts: one client's flood leaves another's calls", async () => {
		await using server = await limitedServer(["127.0.0.1", "::1"]);
		const from = statusFrom(server.url);
		expect([
			await from("203.0.113.5"),
			await from("203.0.113.5"),
			await from("203.0.113.5"),
		]).toEqual([200, 200, 429]);
		expect(await from("203.0.113.6")).toBe(200);
	});

	it("is the peer's without trustedProxies: the header counts for nothing", async () => {
		await using server = await limitedServer(undefined);
		const from = statusFrom(server.url);
		expect([
			await from("203.0.113.5"),
			await from("203.0.113.6"),
			await from("203.0.113.7"),
		]).toEqual([200, 200, 429]);
	});
});

/** A server whose per-address rate allows 2 requests, loopback included. */
function limitedServer(trustedProxies: string[] | undefined) {
	return setup({
		use: { room: actor({ state: {}, actions: {} }) },
		logLevel: "silent",
		...(trustedProxies === undefined ? {} : { trustedProxies }),
		rateLimits: { perAddress: { perSecond: 0.01, burst: 2 }, limitLoopback: true },
	}).start({ port: 0, host: "127.0.0.1", storage: memoryDriver() });
}

/** The status of a request to `base` that says it was forwarded for `client`. */
function statusFrom(base: string) {
	return (client: string) =>
		fetch(`${base}/metadata`, { headers: { "x-forwarded-for": client } }).then(
			(response) => response.status,
		);
}
