// tenon/react in Chromium: a Vite-built page in strict mode where two
// components share one connection; shared state, events and presence flow
// between two pages; the status shows a server restart and the reconnect.
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setup } from "../../src/index.js";
import { setupTest, type TestContext } from "../../src/test/index.js";
import {
	buildAndServePage,
	launchChromium,
	type ServedPage,
	stableEndpoint,
} from "../helpers/browser-page.js";
import { board } from "./react-hooks/board.js";

let origin = "";
const registry = setup({
	use: { board },
	logLevel: "silent",
	cors: { origin: (o) => o === origin },
});

let browser: Browser;
let page: ServedPage;
let endpoint: ServedPage;
let t: TestContext<typeof registry>;

beforeAll(async () => {
	page = await buildAndServePage(join(import.meta.dirname, "react-hooks"));
	origin = page.origin;
	t = await setupTest(registry);
	// The page keeps one address across the server's restart.
	endpoint = await stableEndpoint(() => t.url);
	browser = await launchChromium();
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await endpoint?.close();
	await t?.stop();
	await page?.close();
});

async function open(room: string, user: string): Promise<Page> {
	const tab = await browser.newPage();
	const errors: string[] = [];
	tab.on("pageerror", (error) => errors.push(String(error)));
	await tab.goto(`${origin}/?${new URLSearchParams({ endpoint: endpoint.origin, room, user })}`);
	await expect
		.poll(() => tab.locator("#status").textContent(), { timeout: 15_000 })
		.toBe("connected");
	expect(errors).toEqual([]);
	return tab;
}

const text = (tab: Page, id: string) => tab.locator(`#${id}`).textContent();

describe("tenon/react in Chromium", () => {
	it("shares one connection, syncs state, events and presence, and shows a reconnect", async () => {
		const ann = await open("hooks", "ann");
		const bob = await open("hooks", "bob");
		try {
			// Strict mode and two components per page: still one connection per page.
			expect(
				await t.client.board.getOrCreate(["hooks"], { params: { user: "probe" } }).connections(),
			).toBe(2);
			await ann.click("#add");
			await expect.poll(() => text(bob, "notes")).toBe("ann: note from ann");
			await expect.poll(() => text(bob, "events")).toBe("1");
			await bob.click("#add");
			await expect.poll(() => text(ann, "notes")).toBe("ann: note from annbob: note from bob");
			await expect.poll(() => text(ann, "events")).toBe("2");
			await ann.click("#here");
			await expect.poll(() => text(bob, "others")).toBe("ann");
			await bob
				.screenshot({ path: join(process.cwd(), "reports", "react-hooks.png") })
				.catch(() => {});
			// A server restart: the status shows the drop, the page reconnects on its own and
			// resumes its connection; the shared state arrives again, presence is set again.
			await t.restart();
			await expect
				.poll(() => text(bob, "history"), { timeout: 15_000 })
				.toMatch(/connected,disconnected,(connecting,)?connected$/);
			await t.client.board
				.getOrCreate(["hooks"], { params: { user: "http" } })
				.add("after restart");
			await expect.poll(() => text(ann, "notes")).toContain("http: after restart");
			await expect.poll(() => text(bob, "others")).toBe("ann");
		} finally {
			await ann.close();
			await bob.close();
		}
	}, 90_000);
});
