// In-actor options an app fills conditionally (`limit: maybe`) take
// `undefined` as "not given", at runtime as in the types (the types refused
// them under exactOptionalPropertyTypes before 2026-11-29: a walkthrough).
import { expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const jobs = actor({
	state: {},
	queues: { work: queue<string>() },
	actions: {
		sweep: async (c) => {
			await c.kv.put("a1", "x");
			await c.kv.put("a2", "y");
			const keys = await c.kv.list("a", { limit: undefined, reverse: undefined, type: undefined });
			const waiting = await c.queue.tryNextBatch({
				count: 5,
				names: undefined,
				completable: undefined,
			});
			const dead = await c.queue.deadLetters({ limit: undefined });
			await c.cron.set({
				name: "n",
				expression: "0 * * * *",
				action: "sweep",
				timezone: undefined,
				maxHistory: undefined,
				args: undefined,
			});
			await c.cron.every({
				name: "e",
				interval: 60_000,
				action: "sweep",
				maxHistory: undefined,
				args: undefined,
			});
			const runs = await c.cron.history("n", { limit: undefined });
			return { keys: keys.map(([key]) => key), waiting: waiting.map((m) => m.body), dead, runs };
		},
	},
});

it("takes undefined in-actor options as not given", async () => {
	await using t = await setupTest(setup({ use: { jobs } }));
	const handle = t.client.jobs.getOrCreate("j");
	await handle.send("work", "one");
	expect(await handle.sweep()).toEqual({ keys: ["1", "2"], waiting: ["one"], dead: [], runs: [] });
});
