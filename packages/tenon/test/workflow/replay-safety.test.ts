import { describe, expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { type WorkflowErrorEvent, workflow } from "../../src/workflow/index.js";

const T0 = 1_800_000_000_000;
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

const reported: WorkflowErrorEvent[] = [];

const outsideStep = actor({
	state: { count: 0 },
	actions: { count: (c) => c.state.count },
	run: workflow(
		async (ctx) => {
			await ctx.step("fine", () => {
				// Inside a step the workflow context reaches the actor.
				ctx.state.count++;
			});
			// Outside a step it must not: this code is replayed on every wake.
			ctx.state.count++;
		},
		{ onError: (_c, event) => void reported.push(event) },
	),
});

describe("determinism guard", () => {
	it("actor data used outside a step stops the workflow with a clear error (not a recorded failure)", async () => {
		await using t = await setupTest(setup({ use: { outsideStep } }));
		const handle = t.client.outsideStep.getOrCreate("g");
		await handle.count();
		await expect.poll(() => reported.length).toBe(1);
		expect(await handle.count()).toBe(1);
		expect(reported[0]).toEqual({
			workflow: {
				workflowId: await handle.resolve(),
				error: expect.objectContaining({
					message: expect.stringContaining("ctx.state can only be used inside ctx.step()"),
				}),
			},
		});
		await t.settle();
		// Not marked failed: fixed code resumes it on a later wake.
		expect((await t.workflowHistory(handle)).status).toBe("halted");
	});
});

/** Version 1 of a workflow: a, pause, b, pause2, c. */
function v1() {
	return actor({
		state: { log: [] as string[] },
		actions: { log: (c) => c.state.log },
		run: workflow(async (ctx) => {
			await ctx.step("a", (c) => void c.state.log.push("a1"));
			await ctx.sleep("pause", 1_000);
			await ctx.step("b", (c) => void c.state.log.push("b1"));
			await ctx.sleep("pause2", 1_000);
			await ctx.step("c", (c) => void c.state.log.push("c1"));
		}),
	});
}

describe("evolving a workflow with runs in flight", () => {
	it("fails loudly, naming the step, when replay meets reordered steps", async () => {
		const storage = memoryDriver();
		let actorId: string;
		{
			await using t = await setupTest(setup({ use: { flow: v1() } }), { storage });
			const handle = t.client.flow.getOrCreate("x");
			actorId = await handle.resolve();
			await expect.poll(() => handle.log()).toEqual(["a1"]);
		}
		const seen: WorkflowErrorEvent[] = [];
		const reordered = actor({
			state: { log: [] as string[] },
			actions: { log: (c) => c.state.log },
			run: workflow(
				async (ctx) => {
					await ctx.step("b", (c) => void c.state.log.push("b2"));
					await ctx.step("a", (c) => void c.state.log.push("a2"));
				},
				{ onError: (_c, event) => void seen.push(event) },
			),
		});
		await using t = await setupTest(setup({ use: { flow: reordered } }), { storage });
		const handle = t.client.flow.getForId(actorId);
		await handle.log();
		await expect.poll(() => seen.length).toBe(1);
		const event = seen[0] as { workflow: { error: { message: string } } };
		expect(event.workflow.error.message).toContain(
			"Workflow history diverged at 'b': the code runs step 'b' where the journal has step 'a'",
		);
		expect(await handle.log()).toEqual(["a1"]);
	});

	it("ctx.removed and ctx.getVersion let old journals replay and new runs take the new path", async () => {
		const storage = memoryDriver();
		let oldId: string;
		{
			await using t = await setupTest(setup({ use: { flow: v1() } }), { storage, startAt: T0 });
			const handle = t.client.flow.getOrCreate("old");
			oldId = await handle.resolve();
			await expect.poll(() => handle.log()).toEqual(["a1"]);
			await t.clock.advance(1_000);
			await expect.poll(() => handle.log()).toEqual(["a1", "b1"]);
		}
		// v2 removes step a and adds a versioned step before b.
		const v2 = actor({
			state: { log: [] as string[] },
			actions: { log: (c) => c.state.log },
			run: workflow(async (ctx) => {
				await ctx.removed("a", "step");
				await ctx.sleep("pause", 1_000);
				const version = await ctx.getVersion("audit", 2);
				if (version >= 2) await ctx.step("audit", (c) => void c.state.log.push("audit"));
				await ctx.step("b", (c) => void c.state.log.push(`b-v${version}`));
				await ctx.sleep("pause2", 1_000);
				await ctx.step("c", (c) => void c.state.log.push(`c-v${version}`));
			}),
		});
		// Deployed later: the old run's timer is already due when it wakes.
		await using t = await setupTest(setup({ use: { flow: v2 } }), {
			storage,
			startAt: T0 + 60_000,
		});
		// The old run is past the change: it keeps the old path (version 1).
		const old = t.client.flow.getForId(oldId);
		await old.log();
		await expect.poll(() => old.log()).toEqual(["a1", "b1", "c-v1"]);

		const fresh = t.client.flow.getOrCreate("new");
		await fresh.log();
		await tick();
		await t.clock.advance(1_000);
		await tick();
		await t.clock.advance(1_000);
		await expect.poll(() => fresh.log()).toEqual(["audit", "b-v2", "c-v2"]);
		await t.settle();
		expect((await t.workflowHistory(fresh)).entries.map((e) => `${e.kind}:${e.name}`)).toEqual([
			"removed:a",
			"sleep:pause",
			"version_check:audit",
			"step:audit",
			"step:b",
			"sleep:pause2",
			"step:c",
		]);
		expect((await t.workflowHistory(old)).status).toBe("completed");
	});
});
