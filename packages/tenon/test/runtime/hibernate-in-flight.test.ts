// A call still running on a connection when its actor went to sleep (past the sleep's grace
// period) never settled on the client: the connection hibernated, its socket stayed open,
// and the reply was dropped as a reply to a closed connection, so the call hung for good and
// held one of the client's in-flight slots (two such calls blocked a connection limited to
// two). Over HTTP the same call got actor/stopped. It now gets actor/stopped on its socket
// when the connection hibernates (a walkthrough as a Durable Objects user, 2026-11-28).
import { expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

let release: (() => void) | undefined;

const room = actor({
	state: { done: [] as string[] },
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
	options: { sleepGracePeriod: 100 },
});

it("a call running when its connection hibernates is answered actor/stopped, and the connection goes on", async () => {
	await using t = await setupTest(setup({ use: { room }, logLevel: "silent" }));
	const conn = t.client.room.getOrCreate("r").connect();
	expect(await conn.done()).toEqual([]);
	const outcome = conn.slow("late").then(
		(value) => ({ ok: true, value }),
		(error: { group?: string; code?: string }) => ({
			ok: false,
			code: `${error.group}/${error.code}`,
		}),
	);
	await expect.poll(() => release !== undefined).toBe(true);
	await conn.goSleep();
	let settled: unknown;
	void outcome.then((value) => (settled = value));
	await expect
		.poll(async () => {
			await t.clock.advance(50);
			return settled;
		})
		.toEqual({ ok: false, code: "actor/stopped" });
	// The action's code ends later: nothing more reaches the client, and the connection works.
	release?.();
	expect(await conn.done()).toEqual([]);
	expect(conn.connStatus).toBe("connected");
	await conn.dispose();
});
