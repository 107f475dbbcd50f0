// Tenon's client in a real browser (Debian's Chromium via playwright-core),
// talking to a Tenon server on another origin (CORS) over HTTP and WebSocket.
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { build } from "esbuild";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actor, event, setup, UserError } from "../../src/index.js";
import { setupTest, type TestContext } from "../../src/test/index.js";

const CHROMIUM = process.env.TENON_CHROMIUM ?? "/usr/bin/chromium";

const counter = actor({
	state: { count: 0, seen: [] as string[] },
	events: { changed: event<number>() },
	actions: {
		increment: (c, by: number) => {
			c.state.count += by;
			c.broadcast("changed", c.state.count);
			return c.state.count;
		},
		echo: (_c, value: unknown) => value,
		refuse: () => {
			throw new UserError("refused in the browser test", { code: "refused" });
		},
	},
});

// An actor whose raw handler answers GETs: a page of another site must not create one.
const pinned = actor({
	createState: () => ({ views: 0 }),
	onRequest: (c) => new Response(`views ${++c.state.views}`),
	actions: {},
});

let pageOrigin = "";
const registry = setup({
	use: { counter, pinned },
	logLevel: "silent",
	cors: { origin: (origin) => origin === pageOrigin },
});

let browser: Browser;
let pageServer: Server;
let t: TestContext<typeof registry>;

beforeAll(async () => {
	if (!existsSync(CHROMIUM)) {
		throw new Error(
			`Chromium not found at ${CHROMIUM}: install it with 'apt-get install chromium' (or set TENON_CHROMIUM)`,
		);
	}
	const bundle = await build({
		entryPoints: [join(import.meta.dirname, "browser-entry.ts")],
		bundle: true,
		write: false,
		platform: "browser",
		format: "iife",
		target: "es2022",
		conditions: ["tenon-source", "browser"],
		// Only reached when no global WebSocket exists, i.e. never in a browser.
		external: ["ws"],
		logLevel: "error",
	});
	const script = bundle.outputFiles[0]?.text ?? "";
	pageServer = createServer((req, res) => {
		if (req.url === "/client.js") {
			res.setHeader("content-type", "text/javascript");
			res.end(script);
			return;
		}
		res.setHeader("content-type", "text/html");
		res.end('<!doctype html><html><body><script src="/client.js"></script></body></html>');
	});
	await new Promise<void>((resolve) => pageServer.listen(0, "127.0.0.1", resolve));
	pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
	t = await setupTest(registry);
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: [
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--disable-quic",
			"--no-first-run",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
		],
	});
}, 60_000);

afterAll(async () => {
	await browser?.close();
	await t?.stop();
	await new Promise((resolve) => pageServer?.close(resolve));
});

describe("tenon/client in Chromium", () => {
	it.each(["json", "cbor", "bare"] as const)(
		"calls actions, connects and receives events (%s)",
		async (encoding) => {
			const page = await browser.newPage();
			try {
				await page.goto(pageOrigin);
				const result = await page.evaluate(
					async ({ endpoint, encoding, key }) => {
						const { createClient } = (globalThis as any).tenon;
						const client = createClient({ endpoint, encoding });
						const handle = client.counter.getOrCreate(key);
						const first = await handle.increment(2);
						const conn = handle.connect();
						const events: number[] = [];
						conn.on("changed", (count: number) => events.push(count));
						const second = await conn.increment(3);
						await handle.increment(1);
						const deadline = Date.now() + 5_000;
						while (events.length < 2 && Date.now() < deadline)
							await new Promise((r) => setTimeout(r, 10));
						const echoed = await conn.echo({
							when: new Date(0).toISOString(),
							big: 10n ** 20n,
							bytes: new Uint8Array([1, 2]),
						});
						let refusal: { group: string; code: string; message: string } | undefined;
						try {
							await handle.refuse();
						} catch (error: any) {
							refusal = { group: error.group, code: error.code, message: error.message };
						}
						await client.dispose();
						return {
							first,
							second,
							events,
							big: String(echoed.big),
							bytes: Array.from(echoed.bytes as Uint8Array),
							refusal,
						};
					},
					{ endpoint: t.url, encoding, key: `browser-${encoding}` },
				);
				expect(result).toEqual({
					first: 2,
					second: 5,
					events: [5, 6],
					big: "100000000000000000000",
					bytes: [1, 2],
					refusal: { group: "user", code: "refused", message: "refused in the browser test" },
				});
			} finally {
				await page.close();
			}
		},
	);
});

// An attacker probe of the defaults (2026-11-28): an <img> on a page of another site created
// an actor of the page's choosing (GET skipped the Origin check). Chromium sends no Origin
// there, only its fetch metadata (Sec-Fetch-Site), which the server reads.
it("a page of another site cannot create an actor with an image", async () => {
	const page = await browser.newPage();
	try {
		await page.goto(pageOrigin);
		const planted = `${t.url}/gateway/pinned/request/?rvt-method=getOrCreate&rvt-key=planted`;
		const outcome = await page.evaluate(
			(src) =>
				new Promise<string>((resolve) => {
					const img = document.createElement("img");
					img.onload = () => resolve("loaded");
					img.onerror = () => resolve("error");
					img.src = src;
					document.body.append(img);
				}),
			planted,
		);
		expect(outcome).toBe("error");
		expect(
			await t.client.pinned
				.get("planted")
				.resolve()
				.catch((e) => e.code),
		).toBe("not_found");
		// The same request from a client that is not a browser creates it.
		expect(await (await fetch(planted)).text()).toBe("views 1");
	} finally {
		await page.close();
	}
});
