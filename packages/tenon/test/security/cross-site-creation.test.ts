// Regression (an attacker probe of the defaults, 2026-11-28): the Origin check
// applied to methods that change state, not to GET, HEAD and OPTIONS, and
// those create an actor too (`rvt-method=getOrCreate`). A page on another site
// holding `<img src="http://127.0.0.1:6420/gateway/pub/request/?rvt-method=
// getOrCreate&rvt-key=planted&rvt-input=...">` created an actor of its key and
// input in the victim's local server, its hooks and `onRequest` run with the
// victim's cookies; a preflight `OPTIONS` did the same. Such a request may
// reach an actor that exists, and never creates one.
import { encode } from "cbor-x";
import { afterAll, beforeAll, expect, it } from "vitest";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";
import { exactRequest, rawRequest } from "../helpers/raw.js";

const page = actor({
	createState: (_c, input: { owner?: string } | undefined) => ({ owner: input?.owner ?? "none" }),
	onRequest: (c) => new Response(`owner ${c.state.owner}`),
	actions: { owner: (c) => c.state.owner },
});

let server: TenonServer;
let base: string;
beforeAll(async () => {
	server = await setup({ use: { page }, logLevel: "silent" }).start({
		port: 0,
		storage: memoryDriver(),
	});
	base = server.url;
});
afterAll(() => server.close());

const input = Buffer.from(encode({ owner: "evil" })).toString("base64url");
const creating = (key: string) =>
	`/gateway/page/request/?rvt-method=getOrCreate&rvt-key=${key}&rvt-input=${input}`;

async function exists(key: string): Promise<boolean> {
	const answer = await rawRequest(`${base}/actors?name=page&key=${key}`);
	return answer.body.actors.length > 0;
}

it("refuses a creation from another site's page by GET, HEAD or OPTIONS", async () => {
	const attempts: [string, string, Record<string, string>][] = [
		// What Chromium sends for an <img> or a link on another site: no Origin.
		["GET", "img", { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" }],
		["GET", "nav", { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" }],
		["GET", "sibling", { "sec-fetch-site": "same-site", "sec-fetch-mode": "no-cors" }],
		["HEAD", "head", { "sec-fetch-site": "cross-site" }],
		["GET", "cors", { origin: "https://evil.example", "sec-fetch-site": "cross-site" }],
		["OPTIONS", "preflight", { origin: "https://evil.example" }],
	];
	for (const [method, key, headers] of attempts) {
		const answer = await exactRequest(`${base}${creating(key)}`, { method, headers });
		expect({ key, status: answer.status }).toEqual({ key, status: 403 });
		if (method === "GET") expect(answer.body?.code).toBe("origin_not_allowed");
		expect(await exists(key)).toBe(false);
	}
});

it("still creates for the server's own pages, typed addresses and clients that are not browsers", async () => {
	const own = `http://${new URL(base).host}`;
	const allowed: [string, Record<string, string>][] = [
		["same", { "sec-fetch-site": "same-origin", origin: own }],
		["typed", { "sec-fetch-site": "none", "sec-fetch-mode": "navigate" }],
		["node", {}],
	];
	for (const [key, headers] of allowed) {
		const answer = await exactRequest(`${base}${creating(key)}`, { headers });
		expect({ key, status: answer.status, body: answer.body }).toEqual({
			key,
			status: 200,
			body: "owner evil",
		});
	}
});

it("lets another site's page reach an actor that exists, without creating one", async () => {
	await exactRequest(`${base}${creating("shared")}`);
	const headers = { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" };
	const byKey = await exactRequest(`${base}/gateway/page/request/?rvt-method=get&rvt-key=shared`, {
		headers,
	});
	expect({ status: byKey.status, body: byKey.body }).toEqual({ status: 200, body: "owner evil" });
	const missing = await exactRequest(`${base}/gateway/page/request/?rvt-method=get&rvt-key=nope`, {
		headers,
	});
	expect(missing.status).toBe(404);
	expect(await exists("nope")).toBe(false);
});
