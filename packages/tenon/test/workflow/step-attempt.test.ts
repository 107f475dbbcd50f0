// A step's `c` gave no attempt number, and its `abortSignal` was the actor's: an attempt
// that timed out kept its `fetch` running beside its retry (the remote did the work twice
// at once), and a race's losing branch kept its request open to the end. A step's `c` is
// now the attempt's: `c.attempt`, and a `c.abortSignal` that aborts when the attempt is
// given up (timed out, its branch lost) or the actor stops.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";

/** Lets the server process what the clock or a request set off. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

/** A real HTTP server: `/hang` never answers (until its client goes), others answer at once. */
const requests: { path: string; closedEarly: boolean }[] = [];
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
	const seen = { path: req.url ?? "", closedEarly: false };
	requests.push(seen);
	if (seen.path.startsWith("/hang")) {
		res.on("close", () => {
			seen.closedEarly = !res.writableEnded;
		});
		return;
	}
	res.end(`answered ${seen.path}`);
});
let base = "";
beforeAll(async () => {
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
	server.closeAllConnections();
	await new Promise((resolve) => server.close(resolve));
});

/** What each attempt saw, by the test's name for it. */
const attempts: { attempt: number; abortedAtStart: boolean; reason?: unknown }[] = [];

const fetcher = actor({
	state: { result: "" },
	actions: { result: (c) => c.state.result },
	run: workflow(async (ctx) => {
		const result = await ctx.step({
			name: "call-upstream",
			timeout: 1_000,
			retryOnTimeout: true,
			retryBackoffBase: 10,
			run: async (c) => {
				expectTypeOf(c.attempt).toEqualTypeOf<number>();
				const seen: (typeof attempts)[number] = {
					attempt: c.attempt,
					abortedAtStart: c.abortSignal.aborted || c.aborted,
				};
				attempts.push(seen);
				c.abortSignal.addEventListener("abort", () => {
					seen.reason = c.abortSignal.reason;
				});
				const path = c.attempt === 1 ? "/hang" : `/ok?attempt=${c.attempt}`;
				const response = await fetch(`${base}${path}`, { signal: c.abortSignal });
				return response.text();
			},
		});
		await ctx.step("save", (c) => {
			c.state.result = result;
		});
	}),
});

/** The race's other branch: a durable 5 s deadline. */
async function lateDeadline(b: { sleep(name: string, ms: number): Promise<void> }) {
	await b.sleep("wait", 5_000);
	return "late";
}

const racer = actor({
	state: { outcome: "" },
	actions: { outcome: (c) => c.state.outcome },
	run: workflow(async (ctx) => {
		const { winner } = await ctx.race("answer-or-deadline", [
			{
				name: "upstream",
				run: (b) =>
					b.step({
						name: "slow-call",
						timeout: 60_000,
						run: async (c) => (await fetch(`${base}/hang-race`, { signal: c.abortSignal })).text(),
					}),
			},
			{ name: "deadline", run: lateDeadline },
		]);
		await ctx.step("save", (c) => {
			c.state.outcome = winner;
		});
	}),
});

const compensations: { attempt: number; aborted: boolean }[] = [];
const saga = actor({
	state: { status: "" },
	actions: { status: (c) => c.state.status },
	run: workflow(async (ctx) => {
		await ctx.rollbackCheckpoint("start");
		await ctx.step({
			name: "reserve",
			run: () => "reserved",
			rollback: (c) => {
				compensations.push({ attempt: c.attempt, aborted: c.abortSignal.aborted });
			},
		});
		await ctx.step({
			name: "charge",
			maxRetries: 0,
			run: () => Promise.reject(new Error("declined")),
		});
	}),
});

/** What onError heard, and how the background work of a step ended. */
const reported: string[] = [];
const backgroundEnded: string[] = [];

const quietLoser = actor({
	state: { outcome: "" },
	actions: { outcome: (c) => c.state.outcome },
	run: workflow(
		async (ctx) => {
			const { winner } = await ctx.race("answer-or-deadline", [
				{
					name: "upstream",
					run: (b) =>
						b.step({
							name: "slow-call",
							maxRetries: 0,
							timeout: 60_000,
							// A client library that rejects with an error of its own when aborted.
							run: (c) =>
								new Promise<string>((_resolve, reject) => {
									c.abortSignal.addEventListener("abort", () =>
										reject(new Error("request aborted")),
									);
								}),
						}),
				},
				{ name: "deadline", run: lateDeadline },
			]);
			await ctx.step("save", (c) => {
				c.state.outcome = winner;
			});
		},
		{
			onError: (_c, event) => {
				if ("step" in event) reported.push(event.step.stepName);
			},
		},
	),
});

const background = actor({
	state: { started: false },
	actions: { started: (c) => c.state.started },
	run: workflow(async (ctx) => {
		await ctx.step("start-watch", (c) => {
			// Work the step leaves running: it ends when the actor stops.
			c.waitUntil(
				new Promise<void>((resolve) => {
					const timer = setTimeout(() => {
						backgroundEnded.push("ran out");
						resolve();
					}, 10_000);
					c.abortSignal.addEventListener("abort", () => {
						clearTimeout(timer);
						backgroundEnded.push("aborted");
						resolve();
					});
				}),
			);
			c.state.started = true;
		});
		await ctx.sleep("idle", 60_000);
	}),
});

const registry = setup({ use: { fetcher, racer, saga, quietLoser, background } });

describe("a step's attempt context", () => {
	it("numbers its attempts and aborts a timed-out attempt's fetch before the retry", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.fetcher.getOrCreate("one");
		await handle.result();
		await expect.poll(() => requests.filter((r) => r.path === "/hang").length).toBe(1);
		await t.clock.advance(1_000);
		// The first attempt's request is closed by its client, not left open beside the retry.
		await expect.poll(() => requests.find((r) => r.path === "/hang")?.closedEarly).toBe(true);
		expect(attempts[0]).toMatchObject({ attempt: 1, abortedAtStart: false });
		expect(attempts[0]?.reason).toMatchObject({ name: "StepTimeoutError" });
		await tick();
		await t.clock.advance(10);
		await expect.poll(() => handle.result()).toBe("answered /ok?attempt=2");
		expect(attempts).toHaveLength(2);
		expect(attempts[1]).toMatchObject({ attempt: 2, abortedAtStart: false });
		expect(attempts[1]?.reason).toBeUndefined();
	});

	it("aborts the losing branch's request when a race is decided", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.racer.getOrCreate("one");
		await handle.outcome();
		await expect.poll(() => requests.filter((r) => r.path === "/hang-race").length).toBe(1);
		await t.clock.advance(5_000);
		await expect.poll(() => handle.outcome()).toBe("deadline");
		await expect.poll(() => requests.find((r) => r.path === "/hang-race")?.closedEarly).toBe(true);
	});

	it("does not count a losing branch's step as failed, whatever it threw when told to stop", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.quietLoser.getOrCreate("one");
		await handle.outcome();
		await tick();
		await t.clock.advance(5_000);
		await expect.poll(() => handle.outcome()).toBe("deadline");
		await t.settle();
		expect(reported).toEqual([]);
		const history = await t.workflowHistory(handle);
		const slow = history.entries.find((entry) => entry.name === "slow-call");
		expect(slow?.status).not.toBe("failed");
		expect(slow?.status).not.toBe("retrying");
		// Nor as running for good (its life's first attempt was journaled running before it ran:
		// an attacker probe, 2026-11-28, found it so after the race, and after a restart).
		expect(slow).toMatchObject({ status: "pending", attempts: 0 });
		await t.restart();
		await handle.outcome();
		await t.settle();
		const again = (await t.workflowHistory(handle)).entries.find((e) => e.name === "slow-call");
		expect(again).toMatchObject({ status: "pending", attempts: 0 });
	});

	it("keeps a step's signal on the actor's after the step: work it left running stops with the actor", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.background.getOrCreate("one");
		await expect.poll(() => handle.started()).toBe(true);
		const started = performance.now();
		await t.restart();
		expect(backgroundEnded).toEqual(["aborted"]);
		expect(performance.now() - started).toBeLessThan(2_000);
	});

	it("gives a compensation its attempt and a live signal", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.saga.getOrCreate("one");
		await handle.status();
		await expect.poll(() => compensations.length).toBe(1);
		expect(compensations[0]).toEqual({ attempt: 1, aborted: false });
	});
});
