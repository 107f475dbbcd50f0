// A workflow step that kills the process (an allocation sized from its input,
// a native fault) is counted as an attempt that failed, crashes of the whole
// server included: every attempt of a life after a crash, and the first of
// each life, is journaled as running and made durable before it runs
// (WorkflowEngine.beginAttempt). Before 2026-11-26 such a step ran again at
// every start with its attempts never counted, and kept the server down: 6
// crashes in 6 starts (a review).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ChildServer, crashUntilStable, tempDataDir } from "../helpers/child-server.js";

const fixture = join(import.meta.dirname, "fixtures", "poison-step-server.ts");
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const call = (url: string, path: string, body: string) =>
	fetch(`${url}/gateway/flow/${path}?rvt-method=getOrCreate&rvt-key=f1`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body,
	});
const report = async (url: string) =>
	(
		(await (await call(url, "action/report", '{"args":[]}')).json()) as {
			output: { outcome: string | null; attempts: number };
		}
	).output;

describe("a workflow step that kills the process", () => {
	it("fails after its retries, and the server stays up", async () => {
		const dataDir = tempDataDir("poison-step");
		dirs.push(dataDir);
		// Sent while the server is up: the first attempt kills it (the answer may not come).
		const { stable, crashes } = await crashUntilStable(
			fixture,
			{ TENON_DATA_DIR: dataDir },
			(url) => call(url, "queue/go", JSON.stringify({ body: "poison" })),
			6,
		);
		try {
			expect(stable, `the server crashed at every one of ${crashes} starts`).toBeDefined();
			// Attempt 1, then its one retry: both died with the process, both counted.
			expect(crashes).toBe(2);
			const server = stable as ChildServer;
			await expect
				.poll(async () => (await report(server.url)).outcome, { timeout: 10_000 })
				.toBe("the process stopped during attempt 2 (a crash, or a kill)");
			expect((await report(server.url)).attempts).toBe(2);
		} finally {
			await stable?.kill();
		}
	}, 120_000);
});
