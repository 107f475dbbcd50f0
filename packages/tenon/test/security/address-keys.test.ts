// Per-address limits count an IPv6 peer by its /64 (rate-limit.ts,
// `addressKey`): one subscriber usually holds a whole /64, and keyed by the
// full address, it could rotate through 2^64 addresses, each with limits of
// its own (noted by an attacker probe, 2026-11-25). IPv4, written plainly or
// mapped into IPv6, is one key.
import { describe, expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { addressKey } from "../../src/server/rate-limit.js";

describe("the key an address counts against", () => {
	it("is an IPv6 address's /64, and an IPv4 address however it is written", () => {
		expect(addressKey("2001:db8:1:2::a")).toBe("2001:db8:1:2::/64");
		expect(addressKey("2001:0DB8:0001:0002:ffff:0:0:1")).toBe("2001:db8:1:2::/64");
		expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
		expect(addressKey("::1")).toBe("0:0:0:0::/64");
		expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
		expect(addressKey("64:ff9b:1:2::192.0.2.1")).toBe("64:ff9b:1:2::/64");
		expect(addressKey("::ffff:10.0.0.7")).toBe("10.0.0.7");
		expect(addressKey("::FFFF:10.0.0.7")).toBe("10.0.0.7");
		expect(addressKey("::ffff:a00:7")).toBe("10.0.0.7");
		expect(addressKey("10.0.0.7")).toBe("10.0.0.7");
		// A key is its own key; what is not an address stays as it is.
		expect(addressKey("2001:db8:1:2::/64")).toBe("2001:db8:1:2::/64");
		for (const odd of ["1:2:3:4:5:6:7:8:9", "1::2::3", "g::1", "1.2.3.999", "", "unix-socket"])
			expect(addressKey(odd)).toBe(odd);
	});
});

describe("per-address limits", () => {
	it("count every address of one IPv6 /64 together, and another /64 apart", async () => {
		const { core, server } = await rateLimitedServer();
		try {
			const health = (remoteAddress: string) =>
				core
					.fetch(new Request(`${server.url}/metadata`, { headers: { host: "127.0.0.1" } }), {
						remoteAddress,
					})
					.then((response) => response.status);
			const sameNetwork = ["2001:db8:1:2::a", "2001:db8:1:2::b", "2001:db8:1:2:ffff::c"];
			for (const address of sameNetwork) expect(await health(address)).toBe(200);
			// A fourth address of the same /64: past the burst of three.
			expect(await health("2001:db8:1:2::d")).toBe(429);
			expect(await health("2001:db8:1:3::a")).toBe(200);
			// IPv4, plain and mapped, is one address.
			for (const address of ["10.0.0.7", "::ffff:10.0.0.7", "10.0.0.7"])
				expect(await health(address)).toBe(200);
			expect(await health("::ffff:10.0.0.7")).toBe(429);
		} finally {
			await server.close();
		}
	});
});

describe("health and readiness probes", () => {
	// An SRE walkthrough (2026-11-29): behind a load balancer every client has its address, and
	// past the rate the node's probes were answered 429 (taken out of rotation, or restarted).
	it("spend no rate: answered while their address is past its limit", async () => {
		const { core, server } = await rateLimitedServer();
		try {
			const status = (path: string, method = "GET") =>
				core
					.fetch(new Request(`${server.url}${path}`, { method, headers: { host: "127.0.0.1" } }), {
						remoteAddress: "10.0.0.9",
					})
					.then((response) => response.status);
			for (let i = 0; i < 3; i++) expect(await status("/metadata")).toBe(200);
			expect(await status("/metadata")).toBe(429);
			for (const path of ["/health", "/healthz", "/ready", "/readyz", "/ready?x=1"])
				for (let i = 0; i < 5; i++) expect(await status(path)).toBe(200);
			expect(await status("/health", "HEAD")).toBe(200);
			// Not a probe: still counted.
			expect(await status("/health", "POST")).toBe(429);
			expect(await status("/health/x")).toBe(429);
		} finally {
			await server.close();
		}
	});
});

/** A server with its core (requests from any address), 3 requests per address. */
async function rateLimitedServer() {
	const registry = setup({
		use: { room: actor({ state: {}, actions: {} }) },
		logLevel: "silent",
		// A token regained every 100 s, so a slow machine regains none during the test.
		rateLimits: { perAddress: { perSecond: 0.01, burst: 3 } },
	});
	const { runtime, core } = await registry.createRuntime({
		storage: memoryDriver(),
		bindHost: "127.0.0.1",
	});
	const server = await registry.listen(runtime, core, { port: 0, host: "127.0.0.1" });
	return { core, server };
}
