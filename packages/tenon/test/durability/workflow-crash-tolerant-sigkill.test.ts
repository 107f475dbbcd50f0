// A step with `maxCrashes: Infinity` survives crashes of the whole process: each counted
// among its `maxRetries` before 2026-11-28, so three unrelated kills during a healthy step
// failed it and its saga compensated a valid order (a walkthrough as a Temporal user). Its
// crashes now have their own budget; the default still counts them (a step that kills the
// process cannot keep the server down: workflow-poison-sigkill.test.ts).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ChildServer, crashUntilStable, tempDataDir } from "../helpers/child-server.js";

const fixture = join(import.meta.dirname, "fixtures", "crash-tolerant-step-server.ts");
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

describe("a step with maxCrashes: Infinity", () => {
	it("runs again after each crash, and completes", async () => {
		const dataDir = tempDataDir("crash-tolerant-step");
		dirs.push(dataDir);
		const { stable, crashes } = await crashUntilStable(
			fixture,
			{ TENON_DATA_DIR: dataDir },
			(url) => call(url, "queue/go", JSON.stringify({ body: "go" })),
			8,
		);
		try {
			expect(stable, `the server crashed at every one of ${crashes} starts`).toBeDefined();
			expect(crashes).toBe(3);
			const server = stable as ChildServer;
			await expect
				.poll(
					async () =>
						(
							(await (await call(server.url, "action/report", '{"args":[]}')).json()) as {
								output: { outcome: string | null };
							}
						).output.outcome,
					{ timeout: 10_000 },
				)
				.toBe("done at attempt 4");
		} finally {
			await stable?.kill();
		}
	}, 120_000);
});
