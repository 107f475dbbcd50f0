// A redirect answer to any of the client's own calls is `client/redirected`,
// whichever way it sends them (node:http, Node's fetch, a browser's fetch), and
// the call goes nowhere else: not to the redirect's target (which would get
// the conn params), not again (a proxy may have run it before redirecting).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, setup } from "../../src/index.js";
import { launchChromium } from "../helpers/browser-page.js";

const counter = actor({
	state: { count: 0 },
	actions: { increment: (c, by: number) => (c.state.count += by) },
});
const registry = setup({ use: { counter }, logLevel: "silent" });

/** An HTTP server on 127.0.0.1 answering with `handle`; `seen` lists what it got. */
async function serve(
	handle: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ url: string; seen: string[]; server: Server } & AsyncDisposable> {
	const seen: string[] = [];
	const server = createServer((request, response) => {
		seen.push(`${request.method} ${request.url}`);
		handle(request, response);
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		seen,
		server,
		[Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

/** CORS headers that let the page's origin read anything. */
function allowAll(request: IncomingMessage, response: ServerResponse): boolean {
	response.setHeader("access-control-allow-origin", String(request.headers.origin ?? "*"));
	response.setHeader("access-control-allow-headers", "*");
	response.setHeader("access-control-allow-methods", "GET, POST, PUT");
	if (request.method !== "OPTIONS") return false;
	response.end();
	return true;
}

describe("redirects answering the client's calls", () => {
	it.each([
		["node:http", false],
		["fetch", true],
	])(
		"a redirect answering a GET (resolving a key) is client/redirected over %s, its target never asked",
		async (_route, useFetch) => {
			await using target = await serve((_request, response) => {
				response.writeHead(200, { "content-type": "application/json" });
				response.end(JSON.stringify({ actors: [{ actor_id: "stolen" }] }));
			});
			await using front = await serve((request, response) => {
				response.writeHead(302, { location: `${target.url}${request.url}` });
				response.end();
			});
			const client = createClient<typeof registry>({
				endpoint: front.url,
				...(useFetch ? { fetch: (input, init) => fetch(input, init) } : {}),
			});
			// A key with a comma is resolved with GET /actors first.
			await expect(
				client.counter.get("a,b", { params: { token: "secret" } }).increment(1),
			).rejects.toMatchObject({ group: "client", code: "redirected" });
			expect(front.seen).toHaveLength(1);
			expect(target.seen).toEqual([]);
		},
	);

	it("an endpoint that redirects to itself without end fails at the first redirect", async () => {
		await using loop = await serve((request, response) => {
			response.writeHead(307, { location: String(request.url) });
			response.end();
		});
		const client = createClient<typeof registry>({
			endpoint: loop.url,
			fetch: (input, init) => fetch(input, init),
		});
		await expect(client.counter.getOrCreate("c").increment(1)).rejects.toMatchObject({
			code: "redirected",
		});
		expect(loop.seen).toHaveLength(1);
	});
});

describe("redirects answering the client's calls in Chromium", () => {
	let script = "";
	let page: Awaited<ReturnType<typeof serve>>;
	let browser: Awaited<ReturnType<typeof launchChromium>>;

	beforeAll(async () => {
		const bundle = await build({
			entryPoints: [join(import.meta.dirname, "..", "browser", "browser-entry.ts")],
			bundle: true,
			write: false,
			platform: "browser",
			format: "iife",
			target: "es2022",
			conditions: ["tenon-source", "browser"],
			external: ["ws"],
			logLevel: "error",
		});
		script = bundle.outputFiles[0]?.text ?? "";
		page = await serve((_request, response) => {
			response.writeHead(200, { "content-type": "text/html" });
			response.end(`<!doctype html><meta charset="utf-8"><script>${script}</script>`);
		});
		browser = await launchChromium();
	}, 120_000);

	afterAll(async () => {
		await browser?.close();
		await page?.[Symbol.asyncDispose]();
	});

	it("a 307 answering an action is client/redirected, and the browser does not send the call to its target", async () => {
		await using target = await serve((request, response) => {
			if (allowAll(request, response)) return;
			response.writeHead(200, { "content-type": "application/json" });
			response.end(JSON.stringify({ output: "ran at the target" }));
		});
		await using front = await serve((request, response) => {
			if (allowAll(request, response)) return;
			response.writeHead(307, { location: `${target.url}${request.url}` });
			response.end();
		});
		const tab = await browser.newPage();
		try {
			await tab.goto(page.url);
			const outcome = await tab.evaluate(async (endpoint) => {
				const { createClient: create } = (
					globalThis as unknown as { tenon: { createClient: typeof createClient } }
				).tenon;
				const client = create<typeof registry>({ endpoint, encoding: "json" });
				try {
					return { ok: await client.counter.getOrCreate("c").increment(1) };
				} catch (error) {
					const { group, code } = error as { group?: string; code?: string };
					return { error: `${group}/${code}` };
				}
			}, front.url);
			expect(outcome).toEqual({ error: "client/redirected" });
			expect(target.seen.filter((entry) => entry.startsWith("POST"))).toEqual([]);
			expect(front.seen.filter((entry) => entry.startsWith("POST"))).toHaveLength(1);
		} finally {
			await tab.close();
		}
	}, 60_000);
});
