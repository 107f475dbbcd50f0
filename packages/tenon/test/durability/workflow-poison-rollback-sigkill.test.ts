// A workflow's compensation, or its `onError` hook, that kills the process
// (an allocation sized from its input, a native fault) must not keep the
// server down. Before 2026-11-26 both did, at every start: the compensation
// was not journaled as started, and the failure a hook heard was lost with
// the process, so every start repeated it (a note of 2026-11-26). Now each
// compensation is made durable as rolling back before it runs and fails once
// the process died in it more than MAX_COMPENSATION_CRASHES times; and the
// failure a hook hears is made durable before the hook runs.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_COMPENSATION_CRASHES } from "../../src/workflow/engine.js";
import { type ChildServer, crashUntilStable, tempDataDir } from "../helpers/child-server.js";

const fixture = join(import.meta.dirname, "fixtures", "poison-rollback-server.ts");
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const call = (url: string, type: string, path: string, body: string) =>
	fetch(`${url}/gateway/${type}/${path}?rvt-method=getOrCreate&rvt-key=k1`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body,
	});
const outcome = async (url: string, type: string) =>
	(
		(await (await call(url, type, "action/report", '{"args":[]}')).json()) as {
			output: { outcome: string | null };
		}
	).output.outcome;

/** Sends the poison message, then starts the server until it stays up; counts the crashes. */
async function crashesUntilStable(type: string, maxStarts: number) {
	const dataDir = tempDataDir(`poison-${type}`);
	dirs.push(dataDir);
	// Sent while the server is up: what it starts kills it (the answer may not come).
	return crashUntilStable(
		fixture,
		{ TENON_DATA_DIR: dataDir },
		(url) => call(url, type, "queue/go", JSON.stringify({ body: "poison" })),
		maxStarts,
	);
}

/**
 * Sends the poison message to a `type` actor and starts the server until it
 * stays up (at most `maxStarts` times); expects `crashes` crashes, then runs
 * `check` against the server that stayed up.
 */
async function expectStableAfter(
	type: string,
	maxStarts: number,
	crashes: number,
	check: (url: string) => Promise<void>,
): Promise<void> {
	const result = await crashesUntilStable(type, maxStarts);
	try {
		expect(
			result.stable,
			`the server crashed at every one of ${result.crashes} starts`,
		).toBeDefined();
		expect(result.crashes).toBe(crashes);
		await check((result.stable as ChildServer).url);
	} finally {
		await result.stable?.kill();
	}
}

describe("a workflow's compensation or onError hook that kills the process", () => {
	it("a compensation runs again after each crash, then fails the rollback; the server stays up", async () => {
		// The first run and one after each counted crash, each journaled before it ran.
		const crashes = MAX_COMPENSATION_CRASHES + 1;
		await expectStableAfter("saga", 8, crashes, async (url) => {
			await expect
				.poll(() => outcome(url, "saga"), { timeout: 10_000 })
				.toBe(
					`rollback checkout/reserve: the process stopped during this compensation ${crashes} times (a crash, or a kill)`,
				);
		});
	}, 180_000);

	it("a compensation that failed is not run or reported again after its hook killed the process", async () => {
		// The hook heard the rollback's failure once; the next start stopped the rollback there.
		await expectStableAfter("refusing", 6, 1, async (url) => {
			await expect
				.poll(() => outcome(url, "refusing"), { timeout: 10_000 })
				.toBe("rollback checkout/reserve: cannot release");
		});
	}, 120_000);

	it("a halt (a code error) is reported once, not at every start", async () => {
		await expectStableAfter("halting", 6, 1, async (url) => {
			// Halted, not failed: the actor still answers.
			expect(await outcome(url, "halting")).toBeNull();
		});
	}, 120_000);

	it("a hook hears each failure once, and the workflow goes on to its end", async () => {
		// The hook heard attempt 1's failure, then attempt 2's: one crash each.
		await expectStableAfter("hooked", 6, 2, async (url) => {
			// The step's own error and both attempts are kept: no crash was counted as an attempt.
			await expect.poll(() => outcome(url, "hooked"), { timeout: 10_000 }).toBe("refused after 2");
		});
	}, 120_000);
});
