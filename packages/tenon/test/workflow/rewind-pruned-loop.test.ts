// The inspector's replay over a loop whose pruned iterations received queue
// messages. A review of 2026-11-26 found it accepted: the pruned entries were
// gone, so nothing showed the messages consumed, and the replayed loop waited
// for messages that would never come again.
import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { Loop, workflow } from "../../src/workflow/index.js";

const ADMIN = "replay-admin-token-0123456789";
const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };

const drain = actor({
	state: { got: [] as string[] },
	queues: { jobs: queue<string>() },
	actions: { read: (c) => c.state.got },
	run: workflow(async (ctx) => {
		await ctx.loop({
			name: "drain",
			state: 0,
			historyPruneInterval: 1,
			historySize: 0,
			run: async (l, n: number) => {
				const job = await l.queue.next("job", { names: ["jobs"] });
				await l.step("record", (c) => {
					c.state.got.push(String(job.body));
				});
				return n + 1 >= 3 ? Loop.break(n + 1) : Loop.continue(n + 1);
			},
		});
		await ctx.sleep("pause", 60_000);
	}),
});

const registry = setup({ use: { drain }, admin: { token: ADMIN }, logLevel: "silent" });

describe("inspector replay over a loop's pruned iterations", () => {
	it("is refused when the pruned iterations consumed queue messages", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.drain.getOrCreate("d");
		await handle.read();
		for (const body of ["a", "b", "c"]) await handle.send("jobs", body);
		await expect.poll(() => handle.read()).toEqual(["a", "b", "c"]);
		await t.settle();
		const actorId = await handle.resolve();
		// Pruned: no iteration of the loop is left in the journal.
		expect((await t.workflowHistory(actorId)).entries.map((e) => e.location)).toEqual([
			"drain",
			"pause",
		]);
		const response = await fetch(`${t.url}/inspector/actors/${actorId}/workflow/replay`, {
			method: "POST",
			headers: admin,
			body: JSON.stringify({ path: [0] }),
		});
		expect(response.status).toBe(409);
		expect(await response.json()).toMatchObject({
			group: "workflow",
			code: "replay_refused",
			metadata: { reason: "messages_consumed", path: [0] },
		});
		// The replay from the sleep after the loop is still allowed.
		const after = await fetch(`${t.url}/inspector/actors/${actorId}/workflow/replay`, {
			method: "POST",
			headers: admin,
			body: JSON.stringify({ path: [1] }),
		});
		expect(after.status).toBe(200);
	});
});
