// Careful step attempts (WorkflowEngine.beginAttempt): the first attempt of
// each life, and every attempt of a life after a crash, is journaled as
// running and made durable before it runs, so a step that kills the process
// is counted (test/durability/workflow-poison-sigkill.test.ts). What that
// must not cost or change: an attempt a graceful stop cut short is not
// counted, and the other attempts of a clean life commit nothing of their own.
import { describe, expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { AREA } from "../../src/storage/actor-keys.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";
import { controllableStorage, wrapCommits } from "../helpers/controllable-storage.js";

let slowRuns = 0;
let releaseSlow: (() => void) | undefined;
const cutShort = actor({
	state: { done: false },
	actions: { status: (c) => c.state },
	run: workflow(async (ctx) => {
		await ctx.step({
			name: "slow",
			maxRetries: 0,
			run: async () => {
				slowRuns++;
				// The first run waits until the test lets it go (after the actor stopped).
				if (slowRuns === 1) await new Promise<void>((resolve) => (releaseSlow = resolve));
			},
		});
		await ctx.step("done", (c) => {
			c.state.done = true;
		});
	}),
	// A stop waits this long for the run, then goes on without it.
	options: { sleepGracePeriod: 100 },
});

const STEPS = 10;
const steps = actor({
	state: { done: 0 },
	actions: { status: (c) => c.state },
	run: workflow(async (ctx) => {
		for (let i = 0; i < STEPS; i++)
			await ctx.step(`step-${i}`, (c) => {
				c.state.done++;
			});
	}),
});

/** Two steps in a join, each waiting until the test lets it go. */
const release: Record<string, () => void> = {};
const started: string[] = [];
const pair = actor({
	state: {},
	actions: { ping: () => "pong" },
	run: workflow(async (ctx) => {
		const waiting = (name: string) => async () => {
			started.push(name);
			await new Promise<void>((resolve) => {
				release[name] = resolve;
			});
		};
		await ctx.join("both", {
			a: { run: (branch) => branch.step("a", waiting("a")) },
			b: { run: (branch) => branch.step("b", waiting("b")) },
		});
	}),
	options: { sleepGracePeriod: 60_000 },
});

const stopping: boolean[] = [];
const single = actor({
	state: {},
	actions: { ping: () => "pong" },
	run: workflow(async (ctx) => {
		await ctx.step("work", (c) => {
			stopping.push(c.abortSignal.aborted);
		});
	}),
});

let compensationRuns = 0;
let releaseCompensation: (() => void) | undefined;
const saga = actor({
	state: { outcome: "" },
	actions: { status: (c) => c.state },
	run: workflow(async (ctx) => {
		const result = await ctx.try({
			name: "checkout",
			catch: ["step", "rollback"],
			run: async (block) => {
				await block.rollbackCheckpoint("start");
				await block.step({
					name: "reserve",
					run: () => "r1",
					rollback: async () => {
						compensationRuns++;
						// The first two runs wait until the test lets them go.
						if (compensationRuns <= 2)
							await new Promise<void>((resolve) => (releaseCompensation = resolve));
					},
				});
				await block.step({
					name: "charge",
					maxRetries: 0,
					run: () => {
						throw new Error("card declined");
					},
				});
			},
		});
		await ctx.step("record", (c) => {
			c.state.outcome = result.ok ? "done" : result.failure.source;
		});
	}),
	options: { sleepGracePeriod: 100 },
});

/** A step that fails in the stop's grace period, heard by `onError`. */
const heard: string[] = [];
let failingStarted = 0;
let releaseFailing: (() => void) | undefined;
const failing = actor({
	state: {},
	actions: { ping: () => "pong" },
	run: workflow(
		async (ctx) => {
			await ctx.step({
				name: "work",
				maxRetries: 0,
				run: async () => {
					failingStarted++;
					if (failingStarted === 1)
						await new Promise<void>((resolve) => (releaseFailing = resolve));
					throw new Error("boom");
				},
			});
		},
		{ onError: (_c, event) => void heard.push(Object.keys(event)[0] as string) },
	),
	options: { sleepGracePeriod: 60_000 },
});

/** A join: `a` fails (heard by `onError`) and `b` is cut short, both in a stop's grace period. */
const joinStarted: string[] = [];
const joinRelease: Record<string, () => void> = {};
const stopped = actor({
	state: { n: 0 },
	actions: {
		ping: () => "pong",
		bump: (c) => {
			c.state.n++;
		},
	},
	run: workflow(
		async (ctx) => {
			const waitFirst = (name: string) => async () => {
				joinStarted.push(name);
				if (joinStarted.filter((started) => started === name).length === 1)
					await new Promise<void>((resolve) => {
						joinRelease[name] = resolve;
					});
			};
			await ctx.join("both", {
				a: {
					run: (branch) =>
						branch.tryStep({
							name: "a",
							maxRetries: 0,
							run: async () => {
								await waitFirst("a")();
								throw new Error("a failed");
							},
						}),
				},
				b: { run: (branch) => branch.step({ name: "b", maxRetries: 0, run: waitFirst("b") }) },
			});
		},
		{ onError: () => {} },
	),
	options: { sleepGracePeriod: 100 },
});

/** A step that fails after arranging for the next commit (the failure's, before the hook) to fail. */
const unstored: string[] = [];
let failNextCommit: (() => void) | undefined;
const unstoredFailure = actor({
	state: {},
	actions: { ping: () => "pong" },
	run: workflow(
		async (ctx) => {
			await ctx.step({
				name: "work",
				maxRetries: 0,
				run: () => {
					failNextCommit?.();
					failNextCommit = undefined;
					throw new Error("boom");
				},
			});
		},
		{
			onError: (_c, event) => {
				if ("step" in event) unstored.push(event.step.error.message);
			},
		},
	),
});

/** Halts on `ctx.state` outside a step: at one place in phase 1, at another after a step in phase 2. */
let haltPhase = 1;
const halts: string[] = [];
const halting = actor({
	state: { n: 0 },
	actions: { ping: () => "pong" },
	run: workflow(
		async (ctx) => {
			if (haltPhase === 1) void ctx.state.n;
			await ctx.step("two", () => {});
			void ctx.state.n;
		},
		{
			onError: (_c, event) => {
				if ("workflow" in event) halts.push(event.workflow.error.message);
			},
		},
	),
});

const registry = setup({
	use: { cutShort, steps, pair, single, saga, failing, stopped, unstoredFailure, halting },
	logLevel: "silent",
});
const LIFE_MARK = Uint8Array.of(AREA.WORKFLOW, 0x02);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A graceful restart whose grace period ends on the test clock (what the stop waits for is cut short). */
async function restartThroughGracePeriod(t: {
	restart(): Promise<void>;
	clock: { advance(ms: number): Promise<unknown> };
}) {
	let restarted = false;
	const restarting = t.restart().then(() => {
		restarted = true;
	});
	while (!restarted) {
		await sleep(5);
		await t.clock.advance(50);
	}
	await restarting;
}

describe("careful step attempts", () => {
	it("do not count an attempt a graceful stop cut short: it runs again as the same attempt", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.cutShort.getOrCreate("a");
		await handle.status();
		await expect.poll(() => slowRuns).toBe(1);
		// Graceful: the attempt, journaled as running, is cut short when the grace period ends
		// (on the test clock).
		await restartThroughGracePeriod(t);
		releaseSlow?.();
		await handle.status();
		await expect.poll(async () => (await handle.status()).done, { timeout: 5_000 }).toBe(true);
		await t.settle();
		const slow = (await t.workflowHistory(handle)).entries.find((entry) => entry.name === "slow");
		// maxRetries 0: counted, the cut-short attempt would have failed the step.
		expect(slow).toMatchObject({ status: "completed", attempts: 1 });
		expect(slowRuns).toBe(2);
	});

	it("do not count a compensation a graceful stop cut short: it runs again, uncounted", async () => {
		await using t = await setupTest(registry);
		// A failed assertion must not leave a compensation waiting: the test's stop would wait.
		using _ = { [Symbol.dispose]: () => releaseCompensation?.() };
		const handle = t.client.saga.getOrCreate("a");
		await handle.status();
		await expect.poll(() => compensationRuns).toBe(1);
		await t.settle();
		const reserve = async () =>
			(await t.workflowHistory(handle)).entries.find((entry) => entry.name === "reserve");
		// Journaled as rolling back, and durable, before it ran.
		expect(await reserve()).toMatchObject({ rollingBack: true, rollbackCrashes: 0 });
		// This life's: the next life's compensation may start while the restart still moves
		// the test clock (its alarm is due at once), and must not be released with it.
		const releaseFirst = releaseCompensation;
		await restartThroughGracePeriod(t);
		releaseFirst?.();
		await handle.status();
		await expect.poll(() => compensationRuns, { timeout: 5_000 }).toBe(2);
		await t.settle();
		// Running again, and the stop was not counted as a crash in it.
		expect(await reserve()).toMatchObject({ rollingBack: true, rollbackCrashes: 0 });
		releaseCompensation?.();
		await expect.poll(async () => (await handle.status()).outcome, { timeout: 5_000 }).toBe("step");
		await t.settle();
		expect(compensationRuns).toBe(2);
		const done = await reserve();
		expect(done?.rolledBackAt).toBeTypeOf("number");
		expect(done?.rollingBack).toBeUndefined();
		expect(done?.rollbackCrashes).toBeUndefined();
	});

	it("cost one commit in a clean life for its first attempt, besides each step's boundary", async () => {
		// Commits carrying an attempt journaled as running: only the careful first one.
		let runningMarks = 0;
		const running = Buffer.from("running");
		const marks = wrapCommits(memoryDriver(), "marks", (batch, next) => {
			if (batch.some((item) => item.puts.some(([, value]) => Buffer.from(value).includes(running))))
				runningMarks++;
			return next(batch);
		});
		const storage = controllableStorage(marks);
		await using t = await setupTest(registry, { storage: storage.driver });
		const handle = t.client.steps.getOrCreate("s");
		const before = storage.commits;
		await expect.poll(async () => (await handle.status()).done, { timeout: 5_000 }).toBe(STEPS);
		await t.settle();
		// What came before a step is durable before it runs (since 2026-11-28: a step's side
		// effects went out while the step before it was not journaled yet): a commit per step.
		// The careful first attempt adds one; a careful attempt each would add ten more.
		expect(storage.commits - before).toBeLessThanOrEqual(STEPS + 2);
		expect(runningMarks).toBe(1);
		const history = await t.workflowHistory(handle);
		expect(history.entries.every((entry) => entry.status === "completed")).toBe(true);
	});

	it("keep the life mark stored until the stop's final commit, while steps run in its grace period", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.pair.getOrCreate("j");
		await handle.ping();
		await expect.poll(() => started.length, { timeout: 5_000 }).toBe(2);
		await t.settle();
		const actorId = await handle.resolve();
		const { store } = await t.storage.open();
		const mark = async () => (await store.get(actorId, [LIFE_MARK]))[0];
		const status = async (name: string) =>
			(await t.workflowHistory(actorId)).entries.find((entry) => entry.name === name)?.status;
		expect(await mark()).toBeDefined();
		const restarting = t.restart(); // graceful, with a long grace period
		try {
			await sleep(50);
			release.b?.(); // b ends in the grace period: its commit went out with the mark deleted
			await expect.poll(() => status("b"), { timeout: 5_000 }).toBe("completed");
			// a still runs (journaled running): a crash now must find the mark, or the next life
			// would run it again uncounted.
			expect(await status("a")).toBe("running");
			expect(await mark()).toBeDefined();
		} finally {
			release.a?.();
			await restarting;
		}
	});

	it("start no step once the actor began to stop while their commit was pending", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		using _ = { [Symbol.dispose]: () => storage.release() };
		const handle = t.client.single.getOrCreate("s");
		storage.hold();
		void handle.ping().catch(() => undefined);
		// The first attempt's commit (its running entry, the life's mark) is held.
		for (let i = 0; i < 400 && storage.held === 0; i++) await sleep(5);
		const restarting = t.restart();
		await sleep(20);
		storage.release();
		await restarting;
		// Before: the step ran in the stopping life, its abort signal fired ([true]).
		expect(stopping.includes(true)).toBe(false);
	});

	it("let onError hear a step that fails in a stop's grace period", async () => {
		await using t = await setupTest(registry);
		using _ = { [Symbol.dispose]: () => releaseFailing?.() };
		const handle = t.client.failing.getOrCreate("a");
		await handle.ping();
		await expect.poll(() => failingStarted).toBe(1);
		await t.settle();
		const restarting = t.restart(); // graceful, with a long grace period
		await sleep(50);
		releaseFailing?.(); // fails while the actor stops
		await restarting;
		await handle.ping();
		await expect
			.poll(async () => (await t.workflowHistory(handle)).status, { timeout: 5_000 })
			.toBe("failed");
		// Before: the failure was made durable and the hook skipped (["workflow"] only).
		expect(heard).toEqual(["step", "workflow"]);
	});

	it("write no life mark once the stop cleared it: a step the stop cut short is not a crash", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		using _ = {
			[Symbol.dispose]: () => {
				storage.release();
				for (const release of Object.values(joinRelease)) release();
			},
		};
		const handle = t.client.stopped.getOrCreate("x");
		await handle.ping();
		await expect.poll(() => joinStarted.length, { timeout: 5_000 }).toBe(2);
		await t.settle();
		// A commit in flight: the stop's final commit waits behind it.
		storage.hold();
		void handle.bump().catch(() => undefined);
		for (let i = 0; i < 400 && storage.held === 0; i++) await sleep(5);
		const restarting = t.restart();
		// The grace period ends (on the test clock): the stop clears the life mark.
		for (let i = 0; i < 10; i++) {
			await sleep(5);
			await t.clock.advance(50);
		}
		joinRelease.a?.(); // a fails, and its report must not mark the life again
		await sleep(30);
		storage.release();
		await restarting;
		await handle.ping();
		await t.settle();
		await expect
			.poll(async () => (await t.workflowHistory(handle)).status, { timeout: 5_000 })
			.not.toBe("running");
		const b = (await t.workflowHistory(handle)).entries.find((entry) => entry.name === "b");
		// Before: the next life was one after a crash, and b failed with StepCrashedError unrun.
		expect(b?.status).toBe("completed");
	});

	it("keep onError from hearing a failure whose commit failed", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		failNextCommit = () => storage.failNext(1);
		const handle = t.client.unstoredFailure.getOrCreate("u");
		await handle.ping().catch(() => undefined);
		// The failed commit reset the actor; the next life finds the attempt running (a crash).
		await expect
			.poll(
				async () => {
					await handle.ping().catch(() => undefined); // wakes it after the reset
					return (await t.workflowHistory(handle)).status;
				},
				{ timeout: 5_000 },
			)
			.toBe("failed");
		await t.settle();
		// Before: the hook heard "boom", never stored, and then the crash as well.
		expect(unstored).toEqual(["the process stopped during attempt 1 (a crash, or a kill)"]);
	});

	it("report a halt again at another place with the same message", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.halting.getOrCreate("h");
		await handle.ping();
		await expect.poll(() => halts.length, { timeout: 5_000 }).toBe(1);
		await t.settle();
		// The same halt on the next wake is not reported again.
		await t.restart();
		await handle.ping();
		await t.settle();
		expect(halts.length).toBe(1);
		// A fixed deploy gets past it, and halts elsewhere with the same message.
		haltPhase = 2;
		await t.restart();
		await handle.ping();
		await expect.poll(() => halts.length, { timeout: 5_000 }).toBe(2);
		expect(halts[1]).toBe(halts[0]);
	});
});
