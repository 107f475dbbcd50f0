// tenon/react under React's development build, which checks how hooks use
// external stores: the hooks page (strict mode, two components sharing one
// connection) renders without a warning, before and after presence arrives.
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setup } from "../../src/index.js";
import { setupTest, type TestContext } from "../../src/test/index.js";
import { buildAndServePage, launchChromium, type ServedPage } from "../helpers/browser-page.js";
import { board } from "./react-hooks/board.js";

let origin = "";
const registry = setup({
	use: { board },
	logLevel: "silent",
	cors: { origin: (o) => o === origin },
});

let browser: Browser;
let page: ServedPage;
let t: TestContext<typeof registry>;

beforeAll(async () => {
	page = await buildAndServePage(join(import.meta.dirname, "react-hooks"), { mode: "development" });
	origin = page.origin;
	t = await setupTest(registry);
	browser = await launchChromium();
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await t?.stop();
	await page?.close();
});

describe("tenon/react in React's development build", () => {
	it("renders, connects and shows presence without a console warning (getSnapshot cached, no nodebuffer binaryType)", async () => {
		const tab = await browser.newPage();
		const problems: string[] = [];
		tab.on("console", (message) => {
			// The page has no icon; Chromium asks for one anyway.
			if (message.location().url.endsWith("/favicon.ico")) return;
			if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
		});
		tab.on("pageerror", (error) => problems.push(String(error)));
		try {
			await tab.goto(
				`${origin}/?${new URLSearchParams({ endpoint: t.url, room: "dev", user: "ann" })}`,
			);
			await expect
				.poll(() => tab.locator("#status").textContent(), { timeout: 15_000 })
				.toBe("connected");
			await tab.click("#here");
			await expect
				.poll(() =>
					t.client.board.getOrCreate(["dev"], { params: { user: "probe" } }).connections(),
				)
				.toBe(1);
			await tab.click("#add");
			await expect.poll(() => tab.locator("#events").textContent()).toBe("1");
			expect(problems).toEqual([]);
		} finally {
			await tab.close();
		}
	}, 60_000);
});
