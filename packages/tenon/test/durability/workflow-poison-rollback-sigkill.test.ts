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
import {
	type ChildServer,
	startChildServer,
	startUnlessItDies,
	tempDataDir,
} from "../helpers/child-server.js";

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
	const first = await startChildServer(fixture, { TENON_DATA_DIR: dataDir });
	// Sent while the server is up: what it starts kills it (the answer may not come).
	await call(first.url, type, "queue/go", JSON.stringify({ body: "poison" })).catch(() => {});
	await new Promise<void>((resolve) => {
		if (first.process.exitCode !== null || first.process.signalCode !== null) resolve();
		first.process.once("exit", () => resolve());
	});
	let stable: ChildServer | undefined;
	let crashes = 1;
	for (let start = 0; start < maxStarts && stable === undefined; start++) {
		stable = await startUnlessItDies(fixture, { TENON_DATA_DIR: dataDir }, 2_000);
		if (stable === undefined) crashes++;
	}
	return { stable, crashes };
}

describe("a workflow's compensation or onError hook that kills the process", () => {
	it("a compensation runs again after each crash, then fails the rollback; the server stays up", async () => {
		const { stable, crashes } = await crashesUntilStable("saga", 8);
		try {
			expect(stable, `the server crashed at every one of ${crashes} starts`).toBeDefined();
			// The first run and one after each counted crash, each journaled before it ran.
			expect(crashes).toBe(MAX_COMPENSATION_CRASHES + 1);
			const server = stable as ChildServer;
			await expect
				.poll(() => outcome(server.url, "saga"), { timeout: 10_000 })
				.toBe(
					`rollback checkout/reserve: the process stopped during this compensation ${crashes} times (a crash, or a kill)`,
				);
		} finally {
			await stable?.kill();
		}
	}, 180_000);

	it("a compensation that failed is not run or reported again after its hook killed the process", async () => {
		const { stable, crashes } = await crashesUntilStable("refusing", 6);
		try {
			expect(stable, `the server crashed at every one of ${crashes} starts`).toBeDefined();
			// The hook heard the rollback's failure once; the next start stopped the rollback there.
			expect(crashes).toBe(1);
			const server = stable as ChildServer;
			await expect
				.poll(() => outcome(server.url, "refusing"), { timeout: 10_000 })
				.toBe("rollback checkout/reserve: cannot release");
		} finally {
			await stable?.kill();
		}
	}, 120_000);

	it("a halt (a code error) is reported once, not at every start", async () => {
		const { stable, crashes } = await crashesUntilStable("halting", 6);
		try {
			expect(stable, `the server crashed at every one of ${crashes} starts`).toBeDefined();
			expect(crashes).toBe(1);
			const server = stable as ChildServer;
			// Halted, not failed: the actor still answers.
			expect(await outcome(server.url, "halting")).toBeNull();
		} finally {
			await stable?.kill();
		}
	}, 120_000);

	it("a hook hears each failure once, and the workflow goes on to its end", async () => {
		const { stable, crashes } = await crashesUntilStable("hooked", 6);
		try {
			expect(stable, `the server crashed at every one of ${crashes} starts`).toBeDefined();
			// The hook heard attempt 1's failure, then attempt 2's: one crash each.
			expect(crashes).toBe(2);
			const server = stable as ChildServer;
			// The step's own error and both attempts are kept: no crash was counted as an attempt.
			await expect
				.poll(() => outcome(server.url, "hooked"), { timeout: 10_000 })
				.toBe("refused after 2");
		} finally {
			await stable?.kill();
		}
	}, 120_000);
});
