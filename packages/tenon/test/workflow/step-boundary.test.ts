// Regression (a workflows walkthrough, 2026-11-28): a step's code ran while
// the step before it was not journaled durably yet (steps committed together,
// at the end of the actor's turn). A kill in that gap re-ran the earlier step
// (a stock reservation) and left no trace of the later one's side effect (a
// charge: never refunded). What came before a step is durable before it runs.
import { expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";
import { controllableStorage, turns } from "../helpers/controllable-storage.js";

const ran: string[] = [];
let finishReserve: (() => void) | undefined;

const order = actor({
	state: { reserved: 0 },
	actions: { ping: () => "pong" },
	run: workflow(async (ctx) => {
		await ctx.step("reserve", async (c) => {
			ran.push("reserve");
			await new Promise<void>((resolve) => {
				finishReserve = resolve;
			});
			c.state.reserved++;
		});
		await ctx.step("charge", () => {
			ran.push("charge");
		});
	}),
});

it("runs a step only once the step before it is durable", async () => {
	const storage = controllableStorage(memoryDriver());
	await using t = await setupTest(setup({ use: { order }, logLevel: "silent" }), {
		storage: storage.driver,
	});
	await t.client.order.getOrCreate("o").ping();
	await expect.poll(() => ran).toEqual(["reserve"]);
	storage.hold();
	finishReserve?.();
	await turns(50);
	// The reservation's journal entry waits for its commit: the charge has not run.
	expect(storage.held).toBeGreaterThan(0);
	expect(ran).toEqual(["reserve"]);
	storage.release();
	await expect.poll(() => ran).toEqual(["reserve", "charge"]);
});
