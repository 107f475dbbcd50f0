// A call still running on a connection when its actor went to sleep (past the sleep's grace
// period) never settled on the client: the connection hibernated, its socket stayed open,
// and the reply was dropped as a reply to a closed connection, so the call hung for good and
// held one of the client's in-flight slots (two such calls blocked a connection limited to
// two). Over HTTP the same call got actor/stopped. It now gets actor/stopped on its socket
// when the connection hibernates (a walkthrough as a Durable Objects user, 2026-11-28). So
// does a call that returns during the actor's final commit, its reply held for a write that
// commit does not hold: it was dropped, and the call hung the same way (an attacker probe).
import { expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { controllableStorage } from "../helpers/controllable-storage.js";

let release: (() => void) | undefined;

/** The room; `onSleep` writes, so that the sleep has a final commit to hold. */
const makeRoom = (writesOnSleep: boolean, hibernateConnections = true) =>
	actor({
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
			if (writesOnSleep) c.state.slept++;
		},
		options: { sleepGracePeriod: 100, hibernateConnections },
	});
const room = makeRoom(false);

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

it("a call that returns during the actor's final commit is answered actor/stopped", async () => {
	release = undefined as (() => void) | undefined; // the first test's is spent
	const storage = controllableStorage(memoryDriver());
	await using t = await setupTest(setup({ use: { room: makeRoom(true) }, logLevel: "silent" }), {
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
	await expect
		.poll(async () => {
			await t.clock.advance(50);
			return settled;
		})
		.toEqual({ ok: false, code: "actor/stopped" });
	await conn.dispose();
});

// A call still running when the server shut down (or when a connection that does not
// hibernate closed for the actor's sleep) failed with the close's reason,
// `core/shutting_down` (documented as refused before running) or `actor/sleeping`, though
// its writes were saved by the final commit: a client that retried applied them twice
// (a cluster walkthrough, 2026-11-29). It gets actor/stopped: it may or may not have run.
it.each([
	["the server shuts down", true],
	["a connection that does not hibernate closes for the sleep", false],
])("a call running when %s is answered actor/stopped", async (what, hibernate) => {
	release = undefined as (() => void) | undefined;
	await using t = await setupTest(
		setup({ use: { room: makeRoom(false, hibernate) }, logLevel: "silent" }),
	);
	const conn = t.client.room.getOrCreate("r").connect();
	expect(await conn.done()).toEqual([]);
	let settled: unknown;
	void conn.slow("late").then(
		(value) => (settled = { ok: true, value }),
		(error: { group?: string; code?: string }) =>
			(settled = { ok: false, code: `${error.group}/${error.code}` }),
	);
	await expect.poll(() => release !== undefined).toBe(true);
	const stopped = what.startsWith("the server") ? t.restart() : conn.goSleep();
	await expect
		.poll(async () => {
			await t.clock.advance(50);
			return settled;
		})
		.toEqual({ ok: false, code: "actor/stopped" });
	await stopped;
	release?.();
	await conn.dispose();
});
