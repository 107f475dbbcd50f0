// A run waiting on `ctx.queue.next` (no timeout) had no journal entry for the wait, so code
// deployed meanwhile read as a new run there: `ctx.getVersion` placed before the wait gave
// the old run the new version (and ran the new steps on it), where a run waiting in
// `ctx.sleep` got 1; and a step inserted before the wait without getVersion was taken
// silently instead of flagged as diverged (a walkthrough as a Temporal user, 2026-11-28).
// The wait is journaled when it begins, as a sleep is.
import { describe, expect, it } from "vitest";
import { actor, memoryDriver, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { type WorkflowErrorEvent, workflow } from "../../src/workflow/index.js";

const v1 = () =>
	actor({
		state: { log: [] as string[] },
		actions: { log: (c) => c.state.log, approve: (c) => c.queue.send("approval", "yes") },
		queues: { approval: queue<string>() },
		run: workflow(async (ctx) => {
			await ctx.step("reserve", (c) => void c.state.log.push("reserve"));
			const approval = await ctx.queue.next("approval", { names: ["approval"] });
			await ctx.step("ship", (c) => void c.state.log.push(`ship ${String(approval.body)}`));
		}),
	});

async function startOldRun(storage: ReturnType<typeof memoryDriver>): Promise<string> {
	await using t = await setupTest(setup({ use: { order: v1() }, logLevel: "silent" }), { storage });
	const handle = t.client.order.getOrCreate("o");
	await expect.poll(() => handle.log()).toEqual(["reserve"]);
	const history = await t.workflowHistory(handle);
	expect(history.entries.map((e) => `${e.kind} ${e.name} ${e.status}`)).toEqual([
		"step reserve completed",
		"message approval pending",
	]);
	return handle.resolve();
}

describe("code deployed while a run waits on its queue", () => {
	it("getVersion before the wait gives the old run 1", async () => {
		const storage = memoryDriver();
		const id = await startOldRun(storage);
		const versions: number[] = [];
		const v2 = actor({
			state: { log: [] as string[] },
			actions: { log: (c) => c.state.log, approve: (c) => c.queue.send("approval", "yes") },
			queues: { approval: queue<string>() },
			run: workflow(async (ctx) => {
				await ctx.step("reserve", (c) => void c.state.log.push("reserve"));
				const version = await ctx.getVersion("fraud", 2);
				versions.push(version);
				if (version >= 2) await ctx.step("fraud", (c) => void c.state.log.push("fraud"));
				const approval = await ctx.queue.next("approval", { names: ["approval"] });
				await ctx.step("ship", (c) => void c.state.log.push(`ship ${String(approval.body)}`));
			}),
		});
		await using t = await setupTest(setup({ use: { order: v2 }, logLevel: "silent" }), {
			storage,
		});
		const old = t.client.order.getForId(id);
		await old.approve();
		await expect.poll(() => old.log()).toEqual(["reserve", "ship yes"]);
		expect(versions[0]).toBe(1);
		// A new run takes the new path.
		const fresh = t.client.order.getOrCreate("new");
		await fresh.approve();
		await expect.poll(() => fresh.log()).toEqual(["reserve", "fraud", "ship yes"]);
	});

	it("a step inserted before the wait without getVersion is a diverged history", async () => {
		const storage = memoryDriver();
		const id = await startOldRun(storage);
		const seen: WorkflowErrorEvent[] = [];
		const inserted = actor({
			state: { log: [] as string[] },
			actions: { log: (c) => c.state.log, approve: (c) => c.queue.send("approval", "yes") },
			queues: { approval: queue<string>() },
			run: workflow(
				async (ctx) => {
					await ctx.step("reserve", (c) => void c.state.log.push("reserve"));
					await ctx.step("fraud", (c) => void c.state.log.push("fraud"));
					await ctx.queue.next("approval", { names: ["approval"] });
				},
				{ onError: (_c, event) => void seen.push(event) },
			),
		});
		await using t = await setupTest(setup({ use: { order: inserted }, logLevel: "silent" }), {
			storage,
		});
		const old = t.client.order.getForId(id);
		await old.log();
		await expect.poll(() => seen.length).toBe(1);
		expect(JSON.stringify(seen[0])).toContain("history diverged at 'fraud'");
		expect(await old.log()).toEqual(["reserve"]);
	});
});
