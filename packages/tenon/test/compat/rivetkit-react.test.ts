// `@rivetkit/react` (createRivetKit, useActor, useEvent) in Chromium against
// a Tenon server: the page in ./react, built with Vite, served from another
// origin, in React's strict mode, in each of RivetKit's encodings.
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setup } from "../../src/index.js";
import { setupTest, type TestContext } from "../../src/test/index.js";
import { buildAndServePage, launchChromium, type ServedPage } from "../helpers/browser-page.js";
import { compat } from "./fixtures/compat-actors.js";

let pageOrigin = "";
const registry = setup({
	use: { compat },
	logLevel: "silent",
	// RivetKit's browser client sends its requests with `credentials: "include"`.
	cors: { origin: (origin) => origin === pageOrigin, credentials: true },
});

let browser: Browser;
let page: ServedPage;
let t: TestContext<typeof registry>;

beforeAll(async () => {
	page = await buildAndServePage(join(import.meta.dirname, "react"));
	pageOrigin = page.origin;
	t = await setupTest(registry);
	browser = await launchChromium();
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await t?.stop();
	await page?.close();
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
