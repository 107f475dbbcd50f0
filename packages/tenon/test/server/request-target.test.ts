// The request target and Host as the Node adapter reads them (an attacker
// probe, 2026-11-24): what the host check and a proxy in front read must be
// what hooks see in `c.request.url` and what the router serves.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";
import { rawRequest } from "../helpers/raw-http.js";

const watcher = actor({
	state: {},
	// What hooks see of the request, kept for the action to answer with.
	createConnState: (c) => ({ url: c.request?.url ?? null }),
	actions: { url: (c) => c.conn.state.url },
});

const registry = setup({ use: { watcher }, logLevel: "silent" });
const ACTION = "/gateway/watcher/action/url?rvt-method=getOrCreate&rvt-key=a";

let server: TenonServer;
let host: string;

beforeAll(async () => {
	const created = await registry.createRuntime({ storage: memoryDriver(), bindHost: "127.0.0.1" });
	server = await registry.listen(created.runtime, created.core, { port: 0, host: "127.0.0.1" });
	host = new URL(server.url).host;
});

afterAll(async () => {
	await server?.close();
});

async function call(path: string, hostHeader = host) {
	const answer = await rawRequest(
		server.url,
		{
			method: "POST",
			path,
			headers: [
				["host", hostHeader],
				["content-type", "application/json"],
			],
		},
		{ chunks: ['{"args":[]}'] },
	);
	if (answer === "closed") throw new Error("closed without an answer");
	return answer;
}

describe("the request target, as the Node adapter reads it", () => {
	it("reads a path starting with two slashes as a path, not as another host", async () => {
		// Resolved as a URL, `//other/gateway/...` named the host "other" and the
		// path `/gateway/...`: served, past a proxy rule on the path prefix.
		expect((await call(`//other${ACTION}`)).status).toBe(404);
	});

	it("refuses a path with dot segments or a backslash, which a URL resolves past the route", async () => {
		// Resolved, `/gateway/watcher/request/../action/url` ran the action instead of the
		// actor's `onRequest` (a probe, 2026-11-27), past a proxy rule on the path prefix.
		const query = "?rvt-method=getOrCreate&rvt-key=a";
		for (const path of [
			"/gateway/watcher/request/../action/url",
			"/gateway/watcher/request/%2e%2e/action/url",
			"/gateway/watcher/request/%2E./action/url",
			"/gateway/watcher/request/..\\action\\url",
			"/gateway/watcher/./action/url",
			"/gateway/watcher/action/url/..",
			"/gateway/watcher/request/..#x/action/url",
			"http://evil.example/gateway/watcher/request/../action/url",
		]) {
			const answer = await call(path + query);
			expect(answer.status, path).toBe(400);
			expect(JSON.parse(Buffer.from(answer.body).toString())).toMatchObject({
				group: "request",
				code: "malformed",
			});
		}
		// Dots inside a segment, and in the query, are a path's own.
		expect((await call(`${ACTION}&x=/../..`)).status).toBe(200);
		expect(
			(await call("/gateway/watcher/action/url.x?rvt-method=getOrCreate&rvt-key=a")).status,
		).toBe(404);
	});

	it("takes the host of an absolute-form target from the Host header, which the host check read", async () => {
		const answer = await call(`http://evil.example${ACTION}`);
		expect(answer.status).toBe(200);
		const { output } = JSON.parse(Buffer.from(answer.body).toString()) as { output: string };
		expect(output).toBe(`http://${host}${ACTION}`);
	});

	it("refuses a Host header that is not a host and port when hosts are checked", async () => {
		expect((await call(ACTION, "127.0.0.1:80@evil.example")).status).toBe(403);
		// An empty port is still a host and port (RFC 3986).
		expect((await call(ACTION, "127.0.0.1:")).status).toBe(200);
	});
});
