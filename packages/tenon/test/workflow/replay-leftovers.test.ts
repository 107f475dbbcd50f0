// An inspector replay while code of the halted run still runs (a race's
// losing branch completing a message): it writes nothing after the rewind.
// It wrote the removed entries back, and the next life processed the message
// again (a review, 2026-11-26).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";

const ADMIN = "replay-admin-token-0123456789";
const READER = "replay-reader-token-0123456789";
const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };

async function post(url: string, body: unknown) {
	const response = await fetch(url, { method: "POST", headers: admin, body: JSON.stringify(body) });
	return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const checks: (() => void)[] = [];
const seen: string[] = [];

const racer = actor({
	state: { winners: [] as string[] },
	queues: {
		jobs: queue<string, string>({
			complete: z.string().refine(async () => {
				await new Promise<void>((resolve) => checks.push(resolve));
				return true;
			}),
		}),
	},
	actions: { read: (c) => c.state.winners, size: (c) => c.queue.size },
	run: workflow(async (ctx) => {
		const result = await ctx.race("r", [
			{
				name: "a",
				run: async (b) => {
					const m = await b.queue.next("m", { names: ["jobs"], completable: true });
					seen.push(`a:${m.body}`);
					await m.complete("ok");
					return "a";
				},
			},
			{
				name: "b",
				run: async (b) => {
					await b.sleep("s", 10);
					return "b";
				},
			},
		]);
		await ctx.step("record", (c) => {
			c.state.winners.push(result.winner);
		});
		await ctx.sleep("long", 600_000);
	}),
});

const registry = setup({
	use: { racer },
	admin: { token: ADMIN },
	inspector: { token: READER },
	logLevel: "silent",
});

describe("a replay while the halted run's code still runs", () => {
	it("the halted run's leftover completion does not write the rewound journal back", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.racer.getOrCreate("x");
		await handle.read();
		await handle.send("jobs", "first");
		await expect.poll(() => checks.length).toBeGreaterThan(0);
		await t.clock.advance(10); // b wins while a's completion is checked
		await expect.poll(() => handle.read()).toEqual(["b"]);
		await t.settle();
		const actorId = await handle.resolve();
		const replay = await post(`${t.url}/inspector/actors/${actorId}/workflow/replay`, {
			path: [0],
		});
		expect(replay).toMatchObject({ status: 200 });
		await t.settle();
		const before = (await t.workflowHistory(actorId)).entries;
		// The halted run's completion now succeeds.
		for (let i = 0; i < 10 && checks.length > 0; i++) {
			for (const end of checks.splice(0)) end();
			await t.settle();
		}
		await t.settle();
		const after = (await t.workflowHistory(actorId)).entries;
		// The next life replays the journal: branch a "receives" the message the halted run
		// completed (gone from the queue) once more, and processes it a second time.
		await t.restart();
		await handle.read();
		await t.settle();
		await t.clock.advance(20);
		await t.settle();
		expect({
			seen,
			winners: await handle.read(),
			same: JSON.stringify(after) === JSON.stringify(before),
		}).toEqual({
			seen: ["a:first"],
			winners: ["b", "b"],
			same: true,
		});
	}, 30_000);
});
