// The inspector web app where a walkthrough found it broken (2026-11-29), in headless
// Chromium: at 390 px wide the actor list left the actor 90 px; a long value pushed the
// columns after it out of view; a token the server stopped accepting left every panel red,
// and its streams asked again every second for good; a workflow's compensated steps read
// "completed" and every entry offered a replay that could only be refused.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest, type TestContext } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";
import { launchChromium } from "../helpers/browser-page.js";

const ADMIN_TOKEN = "recovery-admin-token-0123456789";
const shots = join(import.meta.dirname, "..", "..", "..", "..", "test-artifacts", "inspector");

const inbox = actor({
	state: { got: [] as string[] },
	queues: { jobs: queue<string>() },
	actions: { read: (c) => c.state.got },
	run: workflow(async (ctx) => {
		const message = await ctx.queue.next("take", { names: ["jobs"] });
		await ctx.step("record", (c) => {
			c.state.got.push(String(message?.body));
		});
	}),
});

const ledger = actor({
	state: { entries: [] as string[], blob: new Uint8Array() },
	queues: { notes: queue<string>() },
	actions: {
		keep: (c) => {
			c.state.blob = new Uint8Array([0, 1, 2, 255]);
		},
		add: (c, text: string) => {
			c.state.entries.push(text);
			return c.state.entries.length;
		},
	},
});

const registry = setup({
	use: { inbox, ledger },
	admin: { token: ADMIN_TOKEN },
	logLevel: "silent",
});

let browser: Browser;
let t: TestContext<typeof registry>;

beforeAll(async () => {
	mkdirSync(shots, { recursive: true });
	t = await setupTest(registry);
	browser = await launchChromium();
}, 60_000);

afterAll(async () => {
	await browser?.close();
	await t?.stop();
});

async function signedIn(width: number, key: string): Promise<Page> {
	const page = await browser.newPage({ viewport: { width, height: 800 } });
	await page.goto(`${t.url}/inspector/`);
	await page.fill('[data-testid="token"]', ADMIN_TOKEN);
	await page.click('button[type="submit"]');
	await page.waitForSelector('[data-testid="actor-list"]');
	await page.fill('[data-testid="search"]', key);
	await page.click(`[data-actor-key="${key}"]`);
	await page.waitForSelector('[data-testid="actor-title"]');
	return page;
}

const widthOf = (page: Page, selector: string) =>
	page
		.locator(selector)
		.first()
		.evaluate((element) => element.getBoundingClientRect().width);

describe("inspector app, where it broke", () => {
	it("stacks the actor list above the actor on a phone, and wraps long values", async () => {
		const ledgerHandle = t.client.ledger.getOrCreate(["narrow"]);
		await ledgerHandle.add("x".repeat(300));
		await ledgerHandle.send("notes", `a-${"n".repeat(300)}`);
		const page = await signedIn(390, "narrow");
		try {
			expect(await widthOf(page, "main.detail")).toBeGreaterThan(360);
			await page.click('[data-tab="Queue"]');
			await page.waitForSelector("table.grid");
			await page.screenshot({ path: join(shots, "30-narrow-queue.png"), fullPage: true });
			// The table stays in its scrolling frame, and the long body leaves the delivery
			// count in view (it pushed "Deliveries" and "Sent" out at 1280 px).
			const frameRight = await page
				.locator(".table-wrap")
				.first()
				.evaluate((frame) => frame.getBoundingClientRect().right);
			expect(frameRight).toBeLessThanOrEqual(390);
			const deliveries = await page
				.locator("table.grid th", { hasText: "Deliveries" })
				.evaluate((cell) => cell.getBoundingClientRect().right);
			expect(deliveries).toBeLessThanOrEqual(390);
		} finally {
			await page.close();
		}
	}, 60_000);

	it("goes back to the login screen when the token stops working, and its streams stop", async () => {
		await t.client.ledger.getOrCreate(["token"]).add("one");
		const page = await signedIn(1280, "token");
		const streamed: string[] = [];
		page.on("request", (request) => {
			if (request.url().includes("/state/stream")) streamed.push(request.url());
		});
		try {
			await page.waitForSelector('[data-testid="state"]');
			// As after the server restarted with another token.
			// As after the server restarted with another token: the next read is refused.
			await page.evaluate(() => sessionStorage.setItem("tenon-inspector-token", "an-old-token"));
			await page.waitForSelector('[data-testid="login-error"]', { timeout: 15_000 });
			expect(await page.locator('[data-testid="login-error"]').textContent()).toContain(
				"no longer accepts this token",
			);
			const asked = streamed.length;
			await new Promise((resolve) => setTimeout(resolve, 2_500));
			expect(streamed.length - asked).toBeLessThanOrEqual(1);
		} finally {
			await page.close();
		}
	}, 60_000);

	it("offers no replay where one would be refused, and says why", async () => {
		const handle = t.client.inbox.getOrCreate(["consumed"]);
		await handle.send("jobs", "first");
		await expect.poll(() => handle.read()).toEqual(["first"]);
		await t.settle();
		const page = await signedIn(1280, "consumed");
		try {
			await page.click('[data-tab="Workflow"]');
			await page.waitForSelector('[data-testid="workflow-steps"]');
			const take = page.locator('[data-step="take"]');
			await expect.poll(() => take.locator('[data-testid="replay-from"]').isDisabled()).toBe(true);
			expect(await take.locator('[data-testid="replay-refused"]').textContent()).toContain(
				"received queue messages",
			);
			// The step after it may still be replayed.
			const record = page.locator('[data-step="record"]');
			expect(await record.locator('[data-testid="replay-from"]').isDisabled()).toBe(false);
			await page.screenshot({ path: join(shots, "31-replay-refused.png") });
		} finally {
			await page.close();
		}
	}, 60_000);

	it("shows binary data in the state as its length and hex", async () => {
		await t.client.ledger.getOrCreate(["bytes"]).keep();
		const page = await signedIn(1280, "bytes");
		try {
			await expect
				.poll(() => page.locator('[data-testid="state"]').textContent())
				.toContain("<Uint8Array 4 bytes: 000102ff>");
		} finally {
			await page.close();
		}
	}, 60_000);
});
