// The example web apps, as `npm start` serves them, in headless Chromium with
// two pages each: the editor's edits converge and show the other's cursor;
// the board's notes and cursors reach the other page; after the server is
// killed and started again the pages reconnect on their own and no
// acknowledged edit is lost.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../packages/tenon/test/helpers/browser-page.js";

const root = join(import.meta.dirname, "..", "..");
const shots = join(root, "reports", "examples");
const dataDir = mkdtempSync(join(tmpdir(), "tenon-apps-"));
let server: ChildProcess | undefined;
let browser: Browser;
let base = "";

async function freePort(): Promise<number> {
	const probe = createServer();
	await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
	const port = (probe.address() as { port: number }).port;
	await new Promise((resolve) => probe.close(resolve));
	return port;
}

/** `npm start`, as a user runs it, on a fixed port (so pages can reconnect after a restart). */
async function startServer(port: number): Promise<string> {
	const child = spawn("npm", ["start", "--silent"], {
		cwd: root,
		env: {
			...process.env,
			TENON_PORT: String(port),
			TENON_DATA_DIR: dataDir,
			TENON_LOG_LEVEL: "warn",
		},
		stdio: ["ignore", "pipe", "inherit"],
		detached: true,
	});
	server = child;
	let output = "";
	return new Promise<string>((resolve, reject) => {
		child.stdout?.on("data", (chunk: Buffer) => {
			output += chunk.toString();
			const match = /Tenon is running at (\S+)/.exec(output);
			if (match) resolve(match[1] as string);
		});
		child.once("exit", (code) => reject(new Error(`npm start exited (${code}): ${output}`)));
	});
}

/** Kills the server's whole process group, like a crash (no cleanup). */
async function killServer(): Promise<void> {
	const child = server;
	if (child?.pid === undefined) return;
	const exited = new Promise((resolve) => child.once("exit", resolve));
	process.kill(-child.pid, "SIGKILL");
	await exited;
	server = undefined;
}

beforeAll(async () => {
	mkdirSync(shots, { recursive: true });
	base = await startServer(await freePort());
	browser = await launchChromium();
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await killServer().catch(() => {});
	rmSync(dataDir, { recursive: true, force: true });
});

/**
 * A page signed in as a new demo guest (a browser context of its own: its own
 * storage, like a private window), or as the guest of `context` (another tab
 * of that browser). Returns the page and who it is signed in as.
 */
async function open(path: string, context?: BrowserContext): Promise<{ page: Page; user: string }> {
	const page = await (
		context ?? (await browser.newContext({ viewport: { width: 1000, height: 760 } }))
	).newPage();
	const errors: string[] = [];
	page.on("pageerror", (error) => errors.push(String(error)));
	// What the apps' Content Security Policy refuses shows as a console error.
	page.on("console", (message) => {
		if (message.type() === "error" && /Content Security Policy/i.test(message.text()))
			errors.push(message.text());
	});
	await page.goto(`${base}${path}`);
	await expect
		.poll(() => page.locator("#status").textContent(), { timeout: 20_000 })
		.toBe("connected");
	expect(errors).toEqual([]);
	const user = (await page.locator("#me").textContent()) ?? "";
	expect(user).toMatch(/^guest-/);
	return { page, user };
}

/** Closes a page and its browser context. */
const close = (page: Page) => page.context().close();

const text = (page: Page, selector: string) => page.locator(selector).first().textContent();

/** The editor's document as text: its lines, without the others' caret labels. */
const documentText = (page: Page) =>
	page.evaluate(() =>
		[...document.querySelectorAll(".cm-content .cm-line")]
			.map((line) => {
				const copy = line.cloneNode(true) as HTMLElement;
				for (const widget of copy.querySelectorAll(".cm-ySelectionCaret")) widget.remove();
				return copy.textContent ?? "";
			})
			.join("\n"),
	);

describe("example apps in Chromium", () => {
	it("editor: edits converge, cursors show, a crash loses no acknowledged edit", async () => {
		const { page: ann } = await open("/apps/editor/?doc=crash-test");
		const { page: bob, user: bobId } = await open("/apps/editor/?doc=crash-test");
		try {
			await expect.poll(() => text(ann, "#synced")).toBe("synced");
			await expect.poll(() => text(bob, "#synced")).toBe("synced");
			await ann.click(".cm-content");
			await ann.keyboard.type("Hello from Ann. ");
			// Bob types at the end of what he has: before all of Ann's keystrokes reached him,
			// that end was inside her sentence (a loaded CI run got "Hello frAnd Bob.om Ann.").
			await expect.poll(() => documentText(bob)).toBe("Hello from Ann. ");
			await bob.click(".cm-content");
			await bob.keyboard.press("End");
			await bob.keyboard.type("And Bob.");
			await expect.poll(() => documentText(ann)).toContain("And Bob.");
			await expect.poll(() => documentText(bob)).toContain("Hello from Ann.");
			// Each sees the other, and the other's caret with its name.
			await expect.poll(() => text(ann, "#people")).toBe(`also here: ${bobId}`);
			await expect.poll(() => ann.locator(".cm-ySelectionInfo").count()).toBeGreaterThan(0);
			await expect.poll(() => text(ann, ".cm-ySelectionInfo")).toBe(bobId);
			await expect.poll(() => text(ann, "#pending")).toBe("all edits saved");
			await expect.poll(() => text(bob, "#pending")).toBe("all edits saved");
			await ann.screenshot({ path: join(shots, "editor.png") });
			const saved = await documentText(ann);
			expect(await documentText(bob)).toBe(saved);
			// The server dies; both pages stay up and reconnect by themselves to the new one.
			const port = Number(new URL(base).port);
			await killServer();
			await expect.poll(() => text(ann, "#status"), { timeout: 10_000 }).not.toBe("connected");
			// Offline, not shown as synced (before 2026-11-29 it said "synced" and "all edits saved").
			await expect.poll(() => text(ann, "#synced")).toBe("syncing");
			expect(await text(ann, "#pending")).toBe("");
			await startServer(port);
			await expect.poll(() => text(ann, "#status"), { timeout: 20_000 }).toBe("connected");
			await expect.poll(() => text(ann, "#synced")).toBe("synced");
			await expect.poll(() => text(bob, "#status"), { timeout: 20_000 }).toBe("connected");
			// Every acknowledged edit survived; editing goes on and still converges.
			await expect.poll(() => documentText(bob)).toContain(saved);
			await bob.keyboard.type(" After the crash.");
			await expect.poll(() => documentText(ann)).toContain("After the crash.");
			// Pasted text from Windows' clipboard (CR LF) and a control character: the page takes
			// them out, as the note refuses them; refused, they left every later edit unsaved (a
			// review, 2026-11-29).
			await bob.evaluate(() => {
				const data = new DataTransfer();
				data.setData("text/plain", " Pasted\r\nline\u001b.");
				document
					.querySelector(".cm-content")
					?.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
			});
			await expect.poll(() => documentText(ann)).toContain("Pasted\nline.");
			await expect.poll(() => text(bob, "#pending")).toBe("all edits saved");
			expect(await bob.locator("#problem").count()).toBe(0);
			const { page: reader } = await open("/apps/editor/?doc=crash-test");
			await expect.poll(() => documentText(reader)).toContain("After the crash.");
			expect(await documentText(reader)).toContain(saved);
			await close(reader);
		} finally {
			await close(ann);
			await close(bob);
		}
	}, 120_000);

	it("board: notes and live cursors reach the other page", async () => {
		const { page: ann, user: annId } = await open("/apps/board/?board=demo");
		const { page: bob } = await open("/apps/board/?board=demo");
		try {
			await ann.fill("#text", "Ship it");
			await ann.click("#add");
			await expect.poll(() => bob.locator('[data-note="Ship it"]').count()).toBe(1);
			await expect.poll(() => text(bob, '[data-note="Ship it"] small')).toBe(annId);
			// Ann moves her mouse over the board: Bob sees her cursor, named by the actor.
			const box = (await ann.locator("#board").boundingBox()) as { x: number; y: number };
			for (let i = 0; i < 5; i++)
				await ann.mouse.move(box.x + 300 + i * 10, box.y + 200, { steps: 2 });
			await expect.poll(() => bob.locator(`[data-cursor="${annId}"]`).count()).toBe(1);
			await expect.poll(() => text(bob, "#people")).toBe(`also here: ${annId}`);
			// Drag the note: its new place reaches Bob.
			const note = ann.locator('[data-note="Ship it"]');
			const at = (await note.boundingBox()) as { x: number; y: number };
			await ann.mouse.move(at.x + 20, at.y + 20);
			await ann.mouse.down();
			await ann.mouse.move(at.x + 220, at.y + 120, { steps: 5 });
			await ann.mouse.up();
			await expect
				.poll(async () => (await bob.locator('[data-note="Ship it"]').boundingBox())?.x ?? 0)
				.toBeGreaterThan(at.x + 150);
			// A refused change is said (the page hid every refusal, a walkthrough, 2026-11-29):
			// Bob may not remove Ann's note.
			await bob.locator('[data-note="Ship it"]').dblclick();
			await expect.poll(() => text(bob, "#problem")).toContain("Only the author");
			expect(await ann.locator('[data-note="Ship it"]').count()).toBe(1);
			// A new note goes where none is (by count, it went on top of others).
			await bob.fill("#text", "Second");
			await bob.click("#add");
			await expect.poll(() => ann.locator('[data-note="Second"]').count()).toBe(1);
			await expect.poll(() => bob.locator("#problem").count()).toBe(0);
			// A refusal by the note's schema says why (an invisible direction mark: "Invalid
			// arguments" alone did not, a walkthrough, 2026-11-29).
			await bob.fill("#text", "shalom \u200f mark");
			await bob.click("#add");
			await expect.poll(() => text(bob, "#problem")).toContain("direction");
			await bob.fill("#text", "Third");
			await bob.click("#add");
			await expect.poll(() => bob.locator("#problem").count()).toBe(0);
			await bob.screenshot({ path: join(shots, "board.png") });
		} finally {
			await close(ann);
			await close(bob);
		}
		// A link's name is the page's heading: one that is not a plain name opens the default
		// board (a link made the heading read a phishing notice: an attacker probe, 2026-11-29).
		const spoof = "team — NOTICE: this board moved, sign in again at http://evil.example/login";
		const { page: eve } = await open(`/apps/board/?board=${encodeURIComponent(spoof)}`);
		try {
			expect(await text(eve, "header strong")).toBe("team");
			// Said, without the link's words: "team" is not the board the link meant.
			const said = await text(eve, "#problem");
			expect(said).toContain('this is "team"');
			expect(said).not.toContain("evil");
		} finally {
			await close(eve);
		}
	}, 60_000);
});

describe("agent chat in Chromium", () => {
	it("two pages show one stream; a refund waits for approval; a denial and the sandbox's limits reach the model", async () => {
		const conversation = "/apps/agent/?agent=support&c=browser-test";
		// Two tabs of one browser: one guest, one conversation.
		const { page: first, user } = await open(conversation);
		const { page: second, user: same } = await open(conversation, first.context());
		expect(same).toBe(user);
		const lastAgentText = (page: Page) =>
			page.locator('[data-role="assistant"] p').last().textContent();
		try {
			await first.fill("#prompt", "show my orders");
			await first.click("#send");
			// The other page sees the same answer stream in, then the finished transcript.
			await expect
				.poll(() => second.locator("#streaming").count(), { timeout: 10_000, interval: 20 })
				.toBe(1);
			await expect
				.poll(() => lastAgentText(second), { timeout: 10_000 })
				.toContain("Those are your orders");
			expect(await second.locator('[data-role="tool"]').count()).toBe(1);
			await expect
				.poll(() => first.locator('[data-role="tool"] pre').textContent())
				.toContain("A-1002");

			// A refund is high-risk: it waits, on both pages, for the user to approve it.
			await first.fill("#prompt", "refund order A-1002");
			await first.click("#send");
			await expect.poll(() => second.locator("#confirm").count(), { timeout: 10_000 }).toBe(1);
			await expect.poll(() => text(first, "#confirm")).toContain('{"orderId":"A-1002"}');
			await first.screenshot({ path: join(shots, "agent-confirm.png") });
			await second.click("#approve");
			await expect
				.poll(() => lastAgentText(first), { timeout: 10_000 })
				.toContain("refund is on its way");
			await expect.poll(() => first.locator("#confirm").count()).toBe(0);
			await expect
				.poll(() => first.locator('[data-role="tool"] pre').last().textContent())
				.toContain('"status":"refunded"');

			// The model claims the user approved: nothing runs until the user decides, and a denial is final.
			await first.fill("#prompt", "sneaky: refund A-1003");
			await first.click("#send");
			await expect.poll(() => first.locator("#confirm").count(), { timeout: 10_000 }).toBe(1);
			await first.click("#deny");
			await expect
				.poll(() => lastAgentText(second), { timeout: 10_000 })
				.toBe("Understood: I did not refund it.");
			await expect
				.poll(() => second.locator('[data-role="tool"][data-status="denied"]').count())
				.toBe(1);
			await first.screenshot({ path: join(shots, "agent.png"), fullPage: true });

			// Again: the last answer is written anew, in its place on both pages (not added to it);
			// its refund asks for a decision again.
			const shownBefore = await second.locator("[data-role]").count();
			const lastAnswer = (page: Page) =>
				page.locator('[data-role="assistant"]').last().getAttribute("data-id");
			const answered = await lastAnswer(second);
			await first.click("#again");
			await expect.poll(() => first.locator("#confirm").count(), { timeout: 10_000 }).toBe(1);
			await first.click("#deny");
			await expect.poll(() => lastAnswer(second), { timeout: 10_000 }).not.toBe(answered);
			await expect.poll(() => second.locator("#turn").getAttribute("data-turn")).toBe("idle");
			await expect.poll(() => second.locator("[data-role]").count()).toBe(shownBefore);
			expect(await first.locator("[data-role]").count()).toBe(shownBefore);
			await expect.poll(() => lastAgentText(second)).toBe("Understood: I did not refund it.");

			// The owner clears the conversation: both pages drop its messages, and it goes on.
			await first.click("#clear");
			await expect.poll(() => second.locator("[data-role]").count(), { timeout: 10_000 }).toBe(0);
			await expect.poll(() => first.locator("[data-role]").count()).toBe(0);
			await first.fill("#prompt", "show my orders");
			await first.click("#send");
			await expect
				.poll(() => lastAgentText(second), { timeout: 10_000 })
				.toContain("Those are your orders");
		} finally {
			await close(first);
		}

		const { page: coder } = await open("/apps/agent/?agent=code&c=browser-test");
		try {
			await coder.fill("#prompt", "loop forever");
			await coder.click("#send");
			await expect
				.poll(() => coder.locator('[data-role="tool"] pre').last().textContent(), {
					timeout: 15_000,
				})
				.toContain("timeout");
			await expect
				.poll(() => lastAgentText(coder))
				.toBe("The sandbox stopped the code, as it should.");
			await coder.screenshot({ path: join(shots, "agent-code.png"), fullPage: true });
		} finally {
			await close(coder);
		}
	}, 90_000);
});

describe("example apps build", () => {
	it("the committed build is the build of the current sources (npm run build:apps)", async () => {
		const { build } = await import("vite");
		const { readdirSync } = await import("node:fs");
		const outDir = mkdtempSync(join(tmpdir(), "tenon-apps-build-"));
		// As `npm run build:apps` builds (the test runner's NODE_ENV=test changes what React's modules contain).
		const nodeEnv = process.env.NODE_ENV;
		process.env.NODE_ENV = "production";
		try {
			await build({
				configFile: join(import.meta.dirname, "vite.config.ts"),
				logLevel: "silent",
				mode: "production",
				build: { outDir, emptyOutDir: true },
			});
			const files = (dir: string) => readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
			// Built file names carry content hashes: a stale build shows as different names.
			expect(files(outDir), "examples/apps/dist is stale: run npm run build:apps").toEqual(
				files(join(import.meta.dirname, "dist")),
			);
		} finally {
			process.env.NODE_ENV = nodeEnv;
			rmSync(outDir, { recursive: true, force: true });
		}
	}, 120_000);
});
