// tenon/react's hooks when what they are asked for changes while they run, in
// Chromium and strict mode: a component that moves to another actor never
// sees the old actor's connection beside its new options (and leaves no
// connection behind), `enabled: false` gives no connection in the render that
// said it, a bigint in `createWithInput` connects, useEvent's handler is the
// committed render's (not a suspended transition's), and useAgentChat never
// shows one conversation's transcript for another's connection.
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setup } from "../../src/index.js";
import { setupTest, type TestContext } from "../../src/test/index.js";
import { buildAndServePage, launchChromium, type ServedPage } from "../helpers/browser-page.js";
import { room } from "./hook-cases/rooms.js";

let origin = "";
const registry = setup({
	use: { room },
	logLevel: "silent",
	cors: { origin: (o) => o === origin },
});

let browser: Browser;
let page: ServedPage;
let t: TestContext<typeof registry>;

beforeAll(async () => {
	page = await buildAndServePage(join(import.meta.dirname, "hook-cases"));
	origin = page.origin;
	t = await setupTest(registry);
	browser = await launchChromium();
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await t?.stop();
	await page?.close();
});

/** Opens the page for `name`; its errors are collected in `errors`. */
async function openCase(name: string, errors: string[]): Promise<Page> {
	const tab = await browser.newPage();
	tab.on("pageerror", (error) => errors.push(String(error)));
	await tab.goto(`${origin}/?${new URLSearchParams({ case: name, endpoint: t.url })}`);
	return tab;
}

const hookLog = (tab: Page) =>
	tab.evaluate(() => (window as unknown as { hookLog: string[] }).hookLog);
const text = (tab: Page, id: string) => tab.locator(`#${id}`).textContent();

describe("tenon/react hooks when their options change", () => {
	it("a component that moves to another actor never sees the old one's connection, and leaves none open", async () => {
		const errors: string[] = [];
		const tab = await openCase("switch", errors);
		try {
			for (const next of ["b", "c", "a"]) {
				await expect.poll(() => text(tab, "status"), { timeout: 15_000 }).toBe("connected");
				await tab.click("#next");
				await expect.poll(() => text(tab, "room")).toBe(next);
			}
			await expect.poll(() => text(tab, "status"), { timeout: 15_000 }).toBe("connected");
			await expect.poll(async () => (await hookLog(tab)).length).toBeGreaterThanOrEqual(4);
			// Every committed render's connection reached the room that render asked for.
			const log = await hookLog(tab);
			expect(log.filter((entry) => entry.split("=")[0] !== entry.split("=")[1])).toEqual([]);
			expect(log).toContain("c=c");
			// One connection open (room a's); rooms b and c were let go.
			await expect
				.poll(() =>
					tab.evaluate(
						() => (window as unknown as { hookConnections: { size: number } }).hookConnections.size,
					),
				)
				.toBe(1);
			for (const [key, open] of [
				["a", 1],
				["b", 0],
				["c", 0],
			] as const)
				await expect.poll(() => t.client.room.getOrCreate([key]).connections()).toBe(open);
			expect(errors).toEqual([]);
		} finally {
			await tab.close();
		}
	}, 60_000);

	it("enabled: false gives no connection in the render that said it", async () => {
		const errors: string[] = [];
		const tab = await openCase("toggle", errors);
		try {
			await expect.poll(() => text(tab, "status"), { timeout: 15_000 }).toBe("connected");
			await tab.click("#toggle");
			await expect.poll(() => text(tab, "status")).toBe("idle");
			await tab.click("#toggle");
			await expect.poll(() => text(tab, "status"), { timeout: 15_000 }).toBe("connected");
			const log = await hookLog(tab);
			expect(log).toContain("disabled:none");
			expect(log).not.toContain("disabled:connection");
			expect(errors).toEqual([]);
		} finally {
			await tab.close();
		}
	}, 60_000);

	it("a bigint in createWithInput connects (and reaches the actor)", async () => {
		const errors: string[] = [];
		const tab = await openCase("big", errors);
		try {
			await expect.poll(() => text(tab, "status"), { timeout: 15_000 }).toBe("connected");
			await expect.poll(() => text(tab, "said")).toBe("6");
			expect(errors).toEqual([]);
		} finally {
			await tab.close();
		}
	}, 60_000);

	it("useEvent calls the handler of the committed render, not of one a transition holds back", async () => {
		const errors: string[] = [];
		const tab = await openCase("transition", errors);
		try {
			await expect.poll(() => text(tab, "status"), { timeout: 15_000 }).toBe("connected");
			const room = t.client.room.getOrCreate(["transition"]);
			await room.say();
			await expect.poll(() => hookLog(tab)).toEqual(["1:shown"]);
			// The transition's render suspends for good: "shown" stays on the page.
			await tab.click("#suspend");
			await new Promise((resolve) => setTimeout(resolve, 200));
			expect(await text(tab, "label")).toBe("shown");
			await room.say();
			await expect.poll(() => hookLog(tab)).toEqual(["1:shown", "2:shown"]);
			expect(errors).toEqual([]);
		} finally {
			await tab.close();
		}
	}, 60_000);

	it("useAgentChat never shows one conversation's transcript for another's connection", async () => {
		const errors: string[] = [];
		const tab = await openCase("chat", errors);
		try {
			await expect.poll(() => text(tab, "transcript")).toBe("A-1");
			await tab.click("#switch");
			await expect.poll(() => text(tab, "transcript")).toBe("B-1");
			const log = await hookLog(tab);
			expect(log).toContain("B:B-1");
			expect(log.filter((entry) => entry.startsWith("B:A"))).toEqual([]);
			expect(errors).toEqual([]);
		} finally {
			await tab.close();
		}
	}, 60_000);
});
