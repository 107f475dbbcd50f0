// A call that returns while its actor's final commit is being written, its reply held for a
// write that commit does not hold: the connection hibernated, only durable replies were
// sent, and this one was dropped, so the call hung for good (an attacker probe,
// 2026-11-28). It is answered actor/stopped with the calls still running.
import { expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { controllableStorage } from "../helpers/controllable-storage.js";

let release: (() => void) | undefined;

const room = actor({
	state: { done: [] as string[], slept: 0 },
	createConnState: () => ({}),
	actions: {
		slow: async (c, tag: string) => {
			await new Promise<void>((resolve) => (release = resolve));
			c.state.done.push(tag);
			return tag;
		},
		goSleep: (c) => {
			c.sleep();
			return "ok";
		},
		done: (c) => c.state.done,
	},
	onSleep: (c) => {
		c.state.slept++;
	},
	options: { sleepGracePeriod: 100 },
});

it("a call that returns during the final commit is answered (reply or actor/stopped)", async () => {
	const storage = controllableStorage(memoryDriver());
	await using t = await setupTest(setup({ use: { room }, logLevel: "silent" }), {
		storage: storage.driver,
	});
	const conn = t.client.room.getOrCreate("r").connect();
	expect(await conn.done()).toEqual([]);
	let settled: unknown;
	void conn.slow("late").then(
		(value) => (settled = { ok: true, value }),
		(error: { group?: string; code?: string }) =>
			(settled = { ok: false, code: `${error.group}/${error.code}` }),
	);
	await expect.poll(() => release !== undefined).toBe(true);
	await conn.goSleep();
	storage.hold();
	// Past the grace period: onSleep writes, and the final commit is held.
	await expect
		.poll(async () => {
			await t.clock.advance(50);
			return storage.held;
		})
		.toBeGreaterThan(0);
	release?.(); // the call returns now, writing after the final commit was cut
	await new Promise((resolve) => setTimeout(resolve, 50));
	storage.release();
	await t.clock.advance(50);
	await new Promise((resolve) => setTimeout(resolve, 1_000));
	// The connection works on (the actor wakes); the call still never settles.
	const after = await conn.done();
	await new Promise((resolve) => setTimeout(resolve, 3_000));
	console.log("settled:", settled, "state after wake:", after, "status:", conn.connStatus);
	expect(settled).toBeDefined();
	await conn.dispose();
});
