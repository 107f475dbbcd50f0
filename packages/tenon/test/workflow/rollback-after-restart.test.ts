// Compensations of steps in join branches, race branches, try blocks and loop
// iterations that finished before a sleep or a restart. A review of
// 2026-11-26 found them dropped: compensations were only known in memory,
// added when a step's call ran, and replay skips finished scopes, so a
// rollback after a restart never ran theirs. A loop's pruning deleted the
// entries of old iterations, and the rollback skipped their compensations
// silently; and a compensation that never settled kept the actor awake for good.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { actor, lmdbDriver, queue, type StorageDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import {
	CriticalError,
	Loop,
	type WorkflowErrorEvent,
	workflow,
} from "../../src/workflow/index.js";

const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function lmdb(): StorageDriver {
	const dir = mkdtempSync(join(tmpdir(), "tenon-rollback-restart-"));
	dirs.push(dir);
	return lmdbDriver({ path: dir });
}

type Shape = "join" | "try" | "loop" | "race" | "race-loser" | "nested";
type Undo = (c: { state: { undone: string[] } }) => void;
const undo =
	(name: string): Undo =>
	(c) => {
		c.state.undone.push(name);
	};

/**
 * A checkpoint, compensable steps inside a scope of the given shape, an
 * optional durable sleep (the actor sleeps, or the test restarts it), then a
 * step that fails: the rollback must undo the same steps with or without the sleep.
 */
function saga(shape: Shape, nap: boolean) {
	return actor({
		state: { undone: [] as string[] },
		queues: { go: queue<null>(), never: queue<null>() },
		actions: { undone: (c) => c.state.undone },
		options: { sleepTimeout: 1_000 },
		run: workflow(async (ctx) => {
			await ctx.rollbackCheckpoint("cp");
			await ctx.step({ name: "first", run: () => "f", rollback: undo("first") });
			switch (shape) {
				case "join":
					await ctx.join("j", {
						x: { run: (b) => b.step({ name: "a", run: () => "a", rollback: undo("x") }) },
						y: { run: (b) => b.step({ name: "b", run: () => "b", rollback: undo("y") }) },
					});
					break;
				case "try":
					await ctx.try("t", (b) => b.step({ name: "a", run: () => "a", rollback: undo("t") }));
					break;
				case "loop":
					await ctx.loop({
						name: "l",
						state: 0,
						run: async (l, i: number) => {
							// The compensation is a closure over the iteration's state.
							await l.step({ name: "a", run: () => i, rollback: undo(`l${i}`) });
							return i < 2 ? Loop.continue(i + 1) : Loop.break(i);
						},
					});
					break;
				case "race":
					await ctx.race("r", [
						{
							name: "x",
							run: async (b) => {
								await b.step({ name: "a", run: () => "a", rollback: undo("r") });
							},
						},
						{ name: "slow", run: (b) => b.sleep("never", 3_600_000) },
					]);
					break;
				case "race-loser":
					await ctx.race("r", [
						{
							// Loses after its step completed: its code was cut short at the sleep.
							name: "loser",
							run: async (b) => {
								await b.step({ name: "a", run: () => "a", rollback: undo("loser") });
								await b.queue.next("never", { names: ["never"] });
							},
						},
						{
							// Sent by the test once the loser's step completed.
							name: "winner",
							run: async (b) => {
								await b.queue.next("go", { names: ["go"] });
								await b.step({ name: "w", run: () => "w", rollback: undo("winner") });
							},
						},
					]);
					break;
				case "nested":
					// A loop in a join branch, a try in the loop.
					await ctx.join("j", {
						x: {
							run: (b) =>
								b.loop({
									name: "l",
									state: "s",
									run: async (l, s: string) => {
										await l.try("t", (block) =>
											block.step({ name: "a", run: () => s, rollback: undo(`n-${s}`) }),
										);
										return s.length < 2 ? Loop.continue(`${s}s`) : Loop.break(s);
									},
								}),
						},
					});
					break;
			}
			if (nap) await ctx.sleep("nap", 60_000);
			await ctx.step("fail", () => {
				throw new CriticalError("boom");
			});
		}),
	});
}

const shapes: Shape[] = ["join", "try", "loop", "race", "race-loser", "nested"];
const expected: Record<Shape, string[]> = {
	// Newest first in journal order (branches of a join or race in reverse order of declaration).
	join: ["y", "x", "first"],
	try: ["t", "first"],
	loop: ["l2", "l1", "l0", "first"],
	race: ["r", "first"],
	"race-loser": ["winner", "loser", "first"],
	nested: ["n-ss", "n-s", "first"],
};
const actors = Object.fromEntries(
	shapes.flatMap((shape) => [
		[shape, saga(shape, true)],
		[`${shape}-direct`, saga(shape, false)],
	]),
);
const registry = setup({ use: actors, logLevel: "silent" });

/** What the tests use of a saga's handle (the client's actor names are built from the shapes). */
type SagaHandle = {
	undone(): Promise<string[]>;
	send(queue: "go", body: null): Promise<unknown>;
	resolve(): Promise<string>;
};
type SagaClient = Record<string, { getOrCreate(key: string): SagaHandle }>;

type Test = Awaited<ReturnType<typeof setupTest<typeof registry>>>;

/** Wakes the saga; a race-loser's winner goes on once the loser's step completed. */
async function start(t: Test, handle: SagaHandle, shape: Shape): Promise<void> {
	await handle.undone();
	if (shape !== "race-loser") return;
	await expect
		.poll(async () =>
			(await t.workflowHistory(handle)).entries.some(
				(e) => e.location === "r.loser/a" && e.status === "completed",
			),
		)
		.toBe(true);
	await handle.send("go", null);
}

/** Waits until the saga sleeps in its nap. */
async function napping(t: Test, handle: SagaHandle): Promise<void> {
	await expect
		.poll(async () => (await t.workflowHistory(handle)).entries.some((e) => e.name === "nap"))
		.toBe(true);
	await t.settle();
}

describe("compensations of finished scopes after a restart", () => {
	for (const shape of shapes) {
		it(`${shape}: the rollback after a restart undoes what it undoes without one`, async () => {
			await using t = await setupTest(registry);
			const client = t.client as unknown as SagaClient;
			const direct = (client[`${shape}-direct`] as SagaClient[string]).getOrCreate("d");
			await start(t, direct, shape);
			await expect.poll(async () => (await t.workflowHistory(direct)).status).toBe("failed");
			expect(await direct.undone()).toEqual(expected[shape]);

			const restarted = (client[shape] as SagaClient[string]).getOrCreate("r");
			await start(t, restarted, shape);
			await napping(t, restarted);
			await t.restart();
			await t.clock.advance(61_000);
			await expect.poll(async () => (await t.workflowHistory(restarted)).status).toBe("failed");
			expect(await restarted.undone()).toEqual(expected[shape]);
		});
	}

	it("on LMDB: a loop's and a join's compensations run after a restart", async () => {
		const storage = lmdb();
		await using t = await setupTest(registry, { storage });
		const client = t.client as unknown as SagaClient;
		const loop = (client.loop as SagaClient[string]).getOrCreate("lmdb");
		const nested = (client.nested as SagaClient[string]).getOrCreate("lmdb");
		await start(t, loop, "loop");
		await start(t, nested, "nested");
		await napping(t, loop);
		await napping(t, nested);
		await t.restart();
		await t.clock.advance(61_000);
		await expect.poll(async () => (await t.workflowHistory(loop)).status).toBe("failed");
		await expect.poll(async () => (await t.workflowHistory(nested)).status).toBe("failed");
		expect(await loop.undone()).toEqual(expected.loop);
		expect(await nested.undone()).toEqual(expected.nested);
		const history = await t.workflowHistory(loop);
		expect(
			history.entries.filter((e) => e.rolledBackAt !== undefined).map((e) => e.location),
		).toEqual(["first", "l[0]/a", "l[1]/a", "l[2]/a"]);
	});
});

/** 45 compensable steps in a loop (pruned every 20 iterations by default), then a failure. */
function reserveAll(options: { checkpointEach: boolean; napAt?: number; iterations: number }) {
	return actor({
		state: { undone: 0, done: 0 },
		actions: { read: (c) => c.state },
		options: { sleepTimeout: 1_000 },
		run: workflow(async (ctx) => {
			await ctx.rollbackCheckpoint("cp");
			await ctx.loop({
				name: "reserve-all",
				state: 0,
				run: async (l, i: number) => {
					if (options.checkpointEach) await l.rollbackCheckpoint("each");
					if (i === options.napAt) await l.sleep("nap", 60_000);
					await l.step({
						name: "reserve",
						run: (c) => {
							c.state.done++;
						},
						rollback: (c) => {
							c.state.undone++;
						},
					});
					return i + 1 < options.iterations ? Loop.continue(i + 1) : Loop.break(i + 1);
				},
			});
			await ctx.step("charge", () => {
				throw new CriticalError("declined");
			});
		}),
	});
}

const pruning = setup({
	use: {
		all: reserveAll({ checkpointEach: false, iterations: 45 }),
		allRestarted: reserveAll({ checkpointEach: false, iterations: 45, napAt: 30 }),
		each: reserveAll({ checkpointEach: true, iterations: 200 }),
	},
	logLevel: "silent",
});

describe("compensations of a loop's pruned iterations", () => {
	it("runs every completed step's compensation (the iterations with pending ones are kept)", async () => {
		await using t = await setupTest(pruning);
		const handle = t.client.all.getOrCreate("s");
		await handle.read();
		await expect.poll(async () => (await t.workflowHistory(handle)).status).toBe("failed");
		expect(await handle.read()).toEqual({ done: 45, undone: 45 });
	});

	it("runs them after a restart in the middle of the loop", async () => {
		await using t = await setupTest(pruning);
		const handle = t.client.allRestarted.getOrCreate("s");
		await handle.read();
		await expect
			.poll(async () => (await t.workflowHistory(handle)).entries.some((e) => e.name === "nap"))
			.toBe(true);
		await t.settle();
		await t.restart();
		await t.clock.advance(61_000);
		await expect.poll(async () => (await t.workflowHistory(handle)).status).toBe("failed");
		expect(await handle.read()).toEqual({ done: 45, undone: 45 });
	});

	it("still prunes iterations whose compensations a later checkpoint dropped (bounded journal)", async () => {
		await using t = await setupTest(pruning);
		const handle = t.client.each.getOrCreate("s");
		await handle.read();
		await expect.poll(async () => (await t.workflowHistory(handle)).status).toBe("failed");
		// Only the last iteration's step is compensated: its checkpoint dropped the others.
		expect(await handle.read()).toEqual({ done: 200, undone: 1 });
		const history = await t.workflowHistory(handle);
		expect(history.entries.length).toBeLessThan(100);
	});
});

const hookEvents: WorkflowErrorEvent[] = [];
const hanging = actor({
	state: { compensations: 0 },
	actions: { read: (c) => c.state },
	options: { sleepTimeout: 1_000 },
	run: workflow(
		async (ctx) => {
			await ctx.rollbackCheckpoint("cp");
			await ctx.step({
				name: "reserve",
				run: () => "r1",
				timeout: 5_000,
				rollback: (c) => {
					c.state.compensations++;
					return new Promise<void>(() => {}); // a fetch without a timeout
				},
			});
			await ctx.step("charge", () => {
				throw new CriticalError("declined");
			});
		},
		{
			onError: (_c, event) => {
				hookEvents.push(event);
				// A hook that never settles must not wedge the workflow either.
				return new Promise<void>(() => {});
			},
		},
	),
});

describe("a compensation that never settles", () => {
	it("times out with the step's timeout: the rollback fails and the actor may sleep", async () => {
		await using t = await setupTest(setup({ use: { hanging }, logLevel: "silent" }));
		const handle = t.client.hanging.getOrCreate("h");
		await handle.read();
		// The step's hook (30 s by default), then the compensation (5 s), then the rollback's and
		// the workflow's hooks: none of them settles.
		for (let i = 0; i < 6; i++) {
			await t.clock.advance(30_000);
			await t.settle();
		}
		const history = await t.workflowHistory(handle);
		expect(history.status).toBe("failed");
		expect(history.error).toMatchObject({
			name: "RollbackError",
			message: expect.stringContaining("took longer than 5000 ms"),
		});
		expect(history.entries.find((e) => e.name === "reserve")?.rollbackError).toMatchObject({
			message: expect.stringContaining("took longer than 5000 ms"),
		});
		expect(hookEvents.map((event) => Object.keys(event)[0])).toEqual([
			"step",
			"rollback",
			"workflow",
		]);
		expect(await handle.read()).toEqual({ compensations: 1 });
		await t.clock.advance(2_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
	});
});

const tryRollbackFails = actor({
	state: { undone: [] as string[] },
	actions: { undone: (c) => c.state.undone },
	options: { sleepTimeout: 1_000 },
	run: workflow(async (ctx) => {
		await ctx.rollbackCheckpoint("cp");
		await ctx.step({ name: "outer", run: () => "o", rollback: undo("outer") });
		await ctx.try({
			name: "t",
			catch: ["step"],
			run: async (block) => {
				await block.step({ name: "inner", run: () => "i", rollback: undo("inner") });
				await block.step({
					name: "broken",
					run: () => "b",
					rollback: () => {
						throw new Error("cannot undo");
					},
				});
				await block.sleep("nap", 60_000);
				await block.step("fail", () => {
					throw new CriticalError("boom");
				});
			},
		});
	}),
});

describe("a try block whose own rollback failed", () => {
	it("leaves its steps to nobody: the enclosing rollback undoes only its own, after a restart too", async () => {
		await using t = await setupTest(setup({ use: { tryRollbackFails }, logLevel: "silent" }));
		const handle = t.client.tryRollbackFails.getOrCreate("t");
		await handle.undone();
		await expect
			.poll(async () => (await t.workflowHistory(handle)).entries.some((e) => e.name === "nap"))
			.toBe(true);
		await t.settle();
		await t.restart();
		await t.clock.advance(61_000);
		await expect.poll(async () => (await t.workflowHistory(handle)).status).toBe("failed");
		const history = await t.workflowHistory(handle);
		expect(history.error).toMatchObject({ name: "RollbackError" });
		expect(history.entries.find((e) => e.name === "t")?.status).toBe("failed");
		// The block stopped at its failed compensation (inner was never undone); outer was.
		expect(await handle.undone()).toEqual(["outer"]);
	});
});

const prunedCheckpoint = actor({
	state: { undone: [] as string[] },
	actions: { undone: (c) => c.state.undone },
	options: { sleepTimeout: 1_000 },
	run: workflow(async (ctx) => {
		await ctx.rollbackCheckpoint("cp");
		await ctx.step({ name: "before-loop", run: () => "b", rollback: undo("before-loop") });
		await ctx.loop({
			name: "l",
			state: 0,
			historyPruneInterval: 5,
			historySize: 0,
			run: async (l, i: number) => {
				// A new savepoint: what came before it is not undone any more.
				if (i === 3) await l.rollbackCheckpoint("savepoint");
				if (i >= 12) await l.step({ name: "a", run: () => i, rollback: undo(`l${i}`) });
				return i < 13 ? Loop.continue(i + 1) : Loop.break(i);
			},
		});
		await ctx.sleep("nap", 60_000);
		await ctx.step({ name: "after-loop", run: () => "a", rollback: undo("after-loop") });
		await ctx.step("fail", () => {
			throw new CriticalError("boom");
		});
	}),
});

const checkpointInJoin = actor({
	state: { undone: [] as string[] },
	actions: { undone: (c) => c.state.undone },
	options: { sleepTimeout: 1_000 },
	run: workflow(async (ctx) => {
		await ctx.join("setup", { only: { run: (b) => b.rollbackCheckpoint("cp") } });
		await ctx.sleep("nap", 60_000);
		// Its checkpoint is in a finished branch, which the replay skips.
		await ctx.step({ name: "after-join", run: () => "a", rollback: undo("after-join") });
		await ctx.step("fail", () => {
			throw new CriticalError("boom");
		});
	}),
});

describe("a checkpoint in pruned or skipped loop iterations", () => {
	it("still starts the savepoint, and counts as the checkpoint of later steps after a restart", async () => {
		await using t = await setupTest(
			setup({ use: { prunedCheckpoint, checkpointInJoin }, logLevel: "silent" }),
		);
		const handle = t.client.prunedCheckpoint.getOrCreate("p");
		await handle.undone();
		await expect
			.poll(async () => (await t.workflowHistory(handle)).entries.some((e) => e.name === "nap"))
			.toBe(true);
		await t.settle();
		// Pruned, the savepoint's iteration with the others; those with compensations are kept.
		const locations = (await t.workflowHistory(handle)).entries.map((e) => e.location);
		expect(locations).toEqual(["cp", "before-loop", "l", "l[12]/a", "l[13]/a", "nap"]);
		await t.restart();
		await t.clock.advance(61_000);
		await expect.poll(async () => (await t.workflowHistory(handle)).status).toBe("failed");
		expect((await t.workflowHistory(handle)).error).toMatchObject({ name: "StepFailedError" });
		expect(await handle.undone()).toEqual(["after-loop", "l13", "l12"]);

		const joined = t.client.checkpointInJoin.getOrCreate("j");
		await joined.undone();
		await expect
			.poll(async () => (await t.workflowHistory(joined)).entries.some((e) => e.name === "nap"))
			.toBe(true);
		await t.settle();
		await t.restart();
		await t.clock.advance(61_000);
		await expect.poll(async () => (await t.workflowHistory(joined)).status).toBe("failed");
		expect(await joined.undone()).toEqual(["after-join"]);
	});
});
