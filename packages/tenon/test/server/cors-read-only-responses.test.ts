// Responses whose headers are read-only (Response.redirect, a proxied fetch()) still get
// the CORS headers of an allowed origin: the server copies them instead of failing with an
// empty 500 (and registry.handler, which never throws, threw "immutable").
import { describe, expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const APP = "https://app.example.com";
const ROUTE = "/gateway/proxy/request/go?rvt-method=getOrCreate&rvt-key=a";

const proxy = actor({
	state: {},
	onRequest: () => Response.redirect("http://127.0.0.1/elsewhere", 302),
});

const options = { use: { proxy }, logLevel: "silent", cors: { origin: [APP] } } as const;

describe("CORS on responses with read-only headers", () => {
	it("an actor's onRequest redirect reaches an allowed origin with the CORS headers", async () => {
		await using t = await setupTest(setup(options));
		const res = await fetch(`${t.url}${ROUTE}`, { headers: { origin: APP }, redirect: "manual" });
		expect(res.status).toBe(302);
		expect(res.headers.get("location")).toBe("http://127.0.0.1/elsewhere");
		expect(res.headers.get("access-control-allow-origin")).toBe(APP);
		expect(res.headers.get("x-request-id")).toMatch(/.+/);
	});

	it("a fallback's redirect reaches an allowed origin", async () => {
		const server = await setup(options).start({
			port: 0,
			storage: memoryDriver(),
			fallback: () => Response.redirect("http://127.0.0.1/login", 302),
		});
		try {
			const res = await fetch(`${server.url}/somewhere`, {
				headers: { origin: APP },
				redirect: "manual",
			});
			expect(res.status).toBe(302);
			expect(res.headers.get("access-control-allow-origin")).toBe(APP);
		} finally {
			await server.close();
		}
	});

	it("registry.handler answers instead of throwing", async () => {
		const mounted = setup({ ...options, storage: memoryDriver() });
		try {
			const res = await mounted.handler(
				new Request(`http://localhost${ROUTE}`, { headers: { origin: APP } }),
			);
			expect(res.status).toBe(302);
			expect(res.headers.get("access-control-allow-origin")).toBe(APP);
		} finally {
			await mounted.stop();
		}
	});
});
