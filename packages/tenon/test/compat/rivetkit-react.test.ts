// `@rivetkit/react` (createRivetKit, useActor, useEvent) in Chromium against
// a Tenon server: the page in ./react, built with Vite, served from another
// origin, in React's strict mode, in each of RivetKit's encodings.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setup } from "../../src/index.js";
import { setupTest, type TestContext } from "../../src/test/index.js";
import { compat } from "./fixtures/compat-actors.js";

const CHROMIUM = process.env.TENON_CHROMIUM ?? "/usr/bin/chromium";
const TYPES: Record<string, string> = {
	".html": "text/html",
	".js": "text/javascript",
	".css": "text/css",
};

let pageOrigin = "";
const registry = setup({
	use: { compat },
	logLevel: "silent",
	// RivetKit's browser client sends its requests with `credentials: "include"`.
	cors: { origin: (origin) => origin === pageOrigin, credentials: true },
});

let browser: Browser;
let pageServer: Server;
let outDir: string;
let t: TestContext<typeof registry>;

beforeAll(async () => {
	if (!existsSync(CHROMIUM)) {
		throw new Error(
			`Chromium not found at ${CHROMIUM}: install it with 'apt-get install chromium' (or set TENON_CHROMIUM)`,
		);
	}
	outDir = mkdtempSync(join(tmpdir(), "tenon-rivetkit-react-"));
	await build({
		root: join(import.meta.dirname, "react"),
		base: "./",
		logLevel: "silent",
		configFile: false,
		esbuild: { jsx: "automatic" },
		build: { outDir, emptyOutDir: true, minify: false },
	});
	pageServer = createServer((req, res) => {
		const path = normalize(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "");
		const file = join(outDir, path === "" ? "index.html" : path);
		if (!file.startsWith(outDir) || !existsSync(file)) {
			res.statusCode = 404;
			res.end();
			return;
		}
		res.setHeader("content-type", TYPES[extname(file)] ?? "application/octet-stream");
		res.end(readFileSync(file));
	});
	await new Promise<void>((resolve) => pageServer.listen(0, "127.0.0.1", resolve));
	pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
	t = await setupTest(registry);
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
	});
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await t?.stop();
	await new Promise((resolve) => pageServer?.close(resolve));
	if (outDir) rmSync(outDir, { recursive: true, force: true });
});

async function openPage(query: Record<string, string>): Promise<Page> {
	const page = await browser.newPage();
	const errors: string[] = [];
	page.on("pageerror", (error) => errors.push(String(error)));
	await page.goto(`${pageOrigin}/?${new URLSearchParams({ endpoint: t.url, ...query })}`);
	await expect
		.poll(() => page.locator("#status").textContent(), { timeout: 15_000 })
		.toBe("connected");
	expect(errors).toEqual([]);
	return page;
}

async function click(page: Page, id: string): Promise<string | null> {
	await page.evaluate(() => {
		(document.getElementById("answer") as HTMLElement).textContent = "";
	});
	await page.click(`#${id}`);
	await expect.poll(() => page.locator("#answer").textContent()).not.toBe("");
	return page.locator("#answer").textContent();
}

describe("@rivetkit/react against Tenon", () => {
	// `default`: the client's own default encoding (bare), as a RivetKit app has it.
	it.each(["default", "cbor", "json"])(
		"useActor connects once in strict mode; events, actions, errors; reconnects after the actor sleeps (%s)",
		async (encoding) => {
			const room = `react-${encoding}`;
			const query = { room, ...(encoding === "default" ? {} : { encoding }) };
			const ada = await openPage({ ...query, user: "ada" });
			const grace = await openPage({ ...query, user: "grace" });
			try {
				expect(await click(ada, "whoami")).toBe('"ada"');
				// Strict mode mounts twice: still one connection per page.
				expect(await click(grace, "connected")).toBe('["ada","grace"]');
				expect(await click(ada, "increment")).toBe("1");
				expect(await click(grace, "increment")).toBe("2");
				// Each page saw both increments as events.
				await expect.poll(() => ada.locator("#count").textContent()).toBe("2");
				await expect.poll(() => grace.locator("#count").textContent()).toBe("2");
				expect(await click(grace, "fail")).toBe("user/failed_on_purpose");
				expect(await t.client.compat.getOrCreate([room]).count()).toBe(2);
				// The actor sleeps: the server closes both connections; the pages
				// reconnect by themselves (waking it), with their params.
				await t.client.compat.getOrCreate([room]).goToSleep();
				await expect
					.poll(() => t.client.compat.getOrCreate([room]).wakes(), { timeout: 10_000 })
					.toBe(2);
				await expect
					.poll(() => ada.locator("#status").textContent(), { timeout: 10_000 })
					.toBe("connected");
				await expect
					.poll(async () => (await click(grace, "connected")) ?? "", { timeout: 10_000 })
					.toBe('["ada","grace"]');
				expect(await click(ada, "whoami")).toBe('"ada"');
				expect(await click(ada, "increment")).toBe("3");
				await expect.poll(() => grace.locator("#count").textContent()).toBe("3");
			} finally {
				await ada.close();
				await grace.close();
			}
			// Closing the pages closes their connections.
			const probe = t.client.compat.getOrCreate([room]).connect();
			try {
				await expect.poll(() => probe.connected(), { timeout: 10_000 }).toEqual(["anonymous"]);
			} finally {
				await probe.dispose();
			}
		},
		60_000,
	);
});
