// Regression (an attacker probe, 2026-11-27): the sandbox's two workers serve the whole
// process, and runs waited for them in a queue without bound that nothing could leave: one
// user's prompts queued hundreds of endless loops, another user's run waited minutes, and
// runs whose tool call was stopped or timed out still ran later. Now a run takes a `signal`
// (a waiting run leaves the queue, a running one's worker is terminated), and at most
// MAX_WAITING (16) runs wait: more are `busy` at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInSandbox, type SandboxResult, shutdownSandbox } from "./sandbox.js";

const LOOP = "for (;;) {}";
/** Both workers busy with a loop that ends at its 1.5 s limit. */
const occupyBoth = () =>
	[0, 1].map(() => runInSandbox(LOOP, { timeLimitMs: 1_500 }) as Promise<SandboxResult>);

beforeAll(async () => {
	// Both workers started (tsx loads them: ~0.5 s each), so no test times a worker's start.
	await Promise.all([runInSandbox("1"), runInSandbox("2")]);
});

afterAll(async () => {
	await shutdownSandbox();
});

describe("runs waiting for a worker", () => {
	it("leave the queue when their signal aborts, and do not run later", async () => {
		const busy = occupyBoth();
		const aborts = Array.from({ length: 12 }, () => new AbortController());
		const waiting = aborts.map(({ signal }) =>
			runInSandbox(LOOP, { timeLimitMs: 3_000 }, { signal }).then(
				() => "ran",
				(error: unknown) => error,
			),
		);
		const fresh = runInSandbox("6 * 7", { timeLimitMs: 10_000 });
		const reason = new Error("the turn was stopped");
		for (const abort of aborts) abort.abort(reason);
		// Rejected at once with the reason, while both workers are still busy.
		expect(await Promise.all(waiting)).toEqual(aborts.map(() => reason));
		for (const run of await Promise.all(busy))
			expect(run.ok ? "ok" : run.error.kind).toBe("timeout");
		const busyEnded = performance.now();
		expect(await fresh).toMatchObject({ ok: true, result: 42 });
		// Had the twelve aborted loops run first, two workers would have taken 18 s for them.
		expect(performance.now() - busyEnded).toBeLessThan(8_000);
	}, 30_000);

	it("past 16 waiting, a run is refused as busy at once", async () => {
		const busy = occupyBoth();
		const abort = new AbortController();
		const waiting = Array.from({ length: 16 }, () =>
			runInSandbox("0", { timeLimitMs: 10_000 }, { signal: abort.signal }).catch(() => "left"),
		);
		const refused = await runInSandbox("0");
		expect(refused).toMatchObject({ ok: false, error: { kind: "busy" } });
		abort.abort();
		expect(new Set(await Promise.all(waiting))).toEqual(new Set(["left"]));
		await Promise.all(busy);
		expect(await runInSandbox("1 + 1")).toMatchObject({ ok: true, result: 2 });
	}, 30_000);
});

describe("a running run whose signal aborts", () => {
	it("rejects with the reason, its worker is terminated, and the next run gets a new one", async () => {
		const abort = new AbortController();
		const running = runInSandbox(LOOP, { timeLimitMs: 20_000 }, { signal: abort.signal });
		await new Promise((resolve) => setTimeout(resolve, 300));
		const reason = new Error("stopped");
		abort.abort(reason);
		await expect(running).rejects.toBe(reason);
		expect(await runInSandbox("'after'")).toMatchObject({ ok: true, result: "after" });
	}, 30_000);

	it("runs nothing when its signal aborts while its worker starts", async () => {
		// No worker left: the run starts one, and is stopped before it is ready (before, the
		// abort went unheard and the loop ran to its limit: a gate saw it end as a timeout).
		await shutdownSandbox();
		const abort = new AbortController();
		const starting = runInSandbox(LOOP, { timeLimitMs: 20_000 }, { signal: abort.signal });
		const reason = new Error("stopped while starting");
		abort.abort(reason);
		await expect(starting).rejects.toBe(reason);
		expect(await runInSandbox("'next'")).toMatchObject({ ok: true, result: "next" });
	}, 30_000);

	it("an already aborted signal runs nothing", async () => {
		const reason = new Error("too late");
		await expect(runInSandbox("1", {}, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
	});
});
