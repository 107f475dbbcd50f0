// A run that reaches a code error while its actor stops (a step finishing in the stop's grace
// period, then code that no longer matches its journal) stopped without a trace: the run's
// start had deleted the previous halt, and the halt was only recorded when the actor was not
// stopping, so the workflow read `running` until its next wake (noted 2026-11-28).
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";

let release: () => void = () => {};
let started: () => void = () => {};
const stepStarted = new Promise<void>((resolve) => {
	started = resolve;
});

const stopping = actor({
	state: { n: 0 },
	actions: { ping: () => "pong" },
	run: workflow(async (ctx) => {
		await ctx.step("slow", async (c) => {
			started();
			// Finishes in the stop's grace period, whatever the stop's signal says.
			await new Promise<void>((resolve) => {
				release = resolve;
			});
			c.state.n++;
		});
		// A code error: state outside a step.
		void ctx.state.n;
	}),
});

const registry = setup({ use: { stopping } });

describe("a workflow halted while its actor stops", () => {
	it("reads halted, with its error, after the stop", async () => {
		const t = await setupTest(registry);
		const handle = t.client.stopping.getOrCreate("one");
		await handle.ping();
		const actorId = await handle.resolve();
		await stepStarted;
		const stopped = t.stop();
		await new Promise((resolve) => setTimeout(resolve, 20));
		release();
		await stopped;
		const history = await t.workflowHistory(actorId);
		expect(history.entries.map((entry) => `${entry.name}:${entry.status}`)).toEqual([
			"slow:completed",
		]);
		expect(history.status).toBe("halted");
		expect(history.error).toMatchObject({ name: "OutsideStepError" });
	});
});
