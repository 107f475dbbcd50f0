// The inspector's "replay from step" on a real server: the journal from a
// top-level entry on is removed, the state is set back to a recorded turn in
// the same audited turn, and the workflow runs the rest again. Also: a step
// in flight finishes before the rewind, refusals leave the workflow running,
// and every hostile request gets a stable error.
import { describe, expect, it } from "vitest";
import { actor, memoryDriver, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";
import { controllableStorage } from "../helpers/controllable-storage.js";
import { historyWithStates } from "../inspector/fixture.js";

const ADMIN = "replay-admin-token-0123456789";
const READER = "replay-reader-token-0123456789";
const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };

const order = actor({
	state: { log: [] as string[], charged: 0 },
	options: { turnHistory: 20 },
	actions: { read: (c) => c.state },
	run: workflow(async (ctx) => {
		await ctx.step("reserve", (c) => {
			c.state.log.push("reserve");
		});
		await ctx.sleep("pause", 1_000);
		await ctx.step("charge", (c) => {
			c.state.log.push("charge");
			c.state.charged++;
			return c.state.charged;
		});
		await ctx.sleep("pause-2", 1_000);
		await ctx.step("ship", (c) => {
			c.state.log.push("ship");
		});
	}),
});

/** A step that waits for the test to open its gate: a replay meets it in flight. */
const gate = { runs: 0, open: () => {}, opened: Promise.resolve() };
function closeGate(): void {
	gate.opened = new Promise<void>((resolve) => {
		gate.open = resolve;
	});
}
const slow = actor({
	state: { after: 0 },
	actions: { read: (c) => c.state.after },
	run: workflow(async (ctx) => {
		await ctx.step("slow", async () => {
			gate.runs++;
			await gate.opened;
		});
		await ctx.step("after", (c) => {
			c.state.after++;
		});
	}),
});

const inbox = actor({
	state: { got: [] as string[] },
	queues: { jobs: queue<string>() },
	actions: { read: (c) => c.state.got },
	run: workflow(async (ctx) => {
		const message = await ctx.queue.next("take", { names: ["jobs"] });
		await ctx.step("record", (c) => {
			c.state.got.push(String(message?.body));
		});
	}),
});

/** Receives completable, records it, and completes it only after a long sleep. */
const holding = actor({
	state: { got: [] as string[] },
	queues: { jobs: queue<string, string>() },
	actions: { read: (c) => c.state.got, size: (c) => c.queue.size },
	run: workflow(async (ctx) => {
		const message = await ctx.queue.next("take", { names: ["jobs"], completable: true });
		await ctx.step("record", (c) => {
			c.state.got.push(String(message?.body));
		});
		await ctx.sleep("pause", 60_000);
		await message?.complete("done");
	}),
});

const plain = actor({ state: {}, actions: { ping: () => "pong" } });

/** Ten steps, then a long sleep: a replay meets it sleeping. */
const STEPS = 10;
const counted = actor({
	state: { done: 0 },
	actions: { read: (c) => c.state.done },
	run: workflow(async (ctx) => {
		for (let i = 0; i < STEPS; i++)
			await ctx.step(`step-${i}`, (c) => {
				c.state.done++;
			});
		await ctx.sleep("pause", 60_000);
	}),
});

const registry = setup({
	use: { order, slow, inbox, plain, counted, holding },
	admin: { token: ADMIN },
	inspector: { token: READER },
	logLevel: "silent",
});

interface Turn {
	seq: number;
	origins: { kind: string; step?: string; operation?: string; fromSeq?: number }[];
	state: { log: string[]; charged: number };
}

async function post(url: string, body: unknown, headers: Record<string, string> = admin) {
	const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
	return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function workflowOf(url: string, actorId: string) {
	const response = await fetch(`${url}/inspector/actors/${actorId}/workflow`, { headers: admin });
	return (await response.json()).history as {
		status: string;
		entries: { location: string; status: string; path: number[] }[];
	};
}

describe("inspector: workflow replay from a step", () => {
	it("re-runs from a step with the state that step found, as one audited turn", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.order.getOrCreate("o1");
		await handle.read();
		for (let i = 0; i < 2; i++) {
			await t.settle();
			await t.clock.advance(1_000);
		}
		await expect.poll(async () => (await handle.read()).log).toEqual(["reserve", "charge", "ship"]);
		await t.settle();
		const actorId = await handle.resolve();
		expect((await workflowOf(t.url, actorId)).status).toBe("completed");

		const turns = (await historyWithStates(t.url, actorId, admin)).turns as unknown as Turn[];
		const beforeCharge = turns.find((turn) => turn.state.log.join() === "reserve");
		expect(beforeCharge).toBeDefined();

		const replay = await post(`${t.url}/inspector/actors/${actorId}/workflow/replay`, {
			path: [2],
			restoreSeq: beforeCharge?.seq,
		});
		expect(replay).toMatchObject({
			status: 200,
			body: { from: "charge", removed: 3, restoredSeq: beforeCharge?.seq },
		});
		// "charge" ran again at once against the restored state; "pause-2" waits anew.
		await expect.poll(async () => (await handle.read()).log).toEqual(["reserve", "charge"]);
		expect((await handle.read()).charged).toBe(1);
		const running = await workflowOf(t.url, actorId);
		expect(running.status).toBe("running");
		expect(running.entries.map((entry) => entry.location)).toEqual([
			"reserve",
			"pause",
			"charge",
			"pause-2",
		]);
		await t.settle();
		await t.clock.advance(1_000);
		await expect
			.poll(async () => await handle.read())
			.toEqual({ log: ["reserve", "charge", "ship"], charged: 1 });
		await expect.poll(async () => (await workflowOf(t.url, actorId)).status).toBe("completed");

		const after = (
			(await (
				await fetch(`${t.url}/inspector/actors/${actorId}/history`, { headers: admin })
			).json()) as { turns: Turn[] }
		).turns;
		expect(after.flatMap((turn) => turn.origins)).toContainEqual({
			kind: "inspector",
			operation: "replay",
			who: expect.stringMatching(/^admin@/),
			fromSeq: beforeCharge?.seq,
			step: "charge",
		});
	});

	it("keeps the state when no turn is given, and halts a sleeping workflow to replay it", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.order.getOrCreate("o2");
		await expect.poll(async () => (await handle.read()).log).toEqual(["reserve"]);
		await t.settle();
		const actorId = await handle.resolve();
		// It sleeps in "pause": replay it from the start without touching the state.
		const replay = await post(`${t.url}/inspector/actors/${actorId}/workflow/replay`, {
			path: [0],
		});
		expect(replay).toMatchObject({ status: 200, body: { from: "reserve", removed: 2 } });
		expect(replay.body.restoredSeq).toBeUndefined();
		await expect.poll(async () => (await handle.read()).log).toEqual(["reserve", "reserve"]);
		// The replay is a turn of its own in the history, with the state it kept.
		await t.settle();
		const turns = (await historyWithStates(t.url, actorId, admin)).turns as unknown as Turn[];
		const replayed = turns.findIndex((turn) =>
			turn.origins.some((origin) => origin.operation === "replay"),
		);
		expect(turns[replayed]?.state.log).toEqual(["reserve"]);
		expect(turns[replayed]?.origins).toHaveLength(1);
		expect(turns[replayed + 1]?.origins).toContainEqual({ kind: "workflow", step: "reserve" });
	});

	it("lets a step in flight finish, then removes what it recorded", async () => {
		await using t = await setupTest(registry);
		closeGate();
		gate.runs = 0;
		const handle = t.client.slow.getOrCreate("s1");
		await handle.read();
		await expect.poll(() => gate.runs).toBe(1);
		const actorId = await handle.resolve();
		const url = `${t.url}/inspector/actors/${actorId}/workflow/replay`;
		// Two replays at once: one is refused while the other waits for the step.
		const first = post(url, { path: [0] });
		const second = post(url, { path: [0] });
		const busy = await Promise.race([first, second]);
		expect(busy).toMatchObject({
			status: 409,
			body: { group: "inspector", code: "replay_busy" },
		});
		gate.open();
		const done = await (busy === (await first) ? second : first);
		expect(done).toMatchObject({ status: 200, body: { from: "slow", removed: 1 } });
		// The step ran again (its first result was removed), then the rest ran once.
		await expect.poll(() => handle.read()).toBe(1);
		expect(gate.runs).toBe(2);
	});

	it("starts the replayed run as a clean life, not as one after a crash", async () => {
		// The halt ended the run gracefully: its life mark must go with it. Left stored (it
		// was, a review of 2026-11-26), the replayed run took itself for one after a crash:
		// a commit before every step, and an attempt the halt had cut short counted.
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		const handle = t.client.counted.getOrCreate("c1");
		await expect.poll(() => handle.read()).toBe(STEPS);
		await t.settle();
		const actorId = await handle.resolve();
		const before = storage.commits;
		const replay = await post(`${t.url}/inspector/actors/${actorId}/workflow/replay`, {
			path: [0],
		});
		expect(replay).toMatchObject({ status: 200, body: { from: "step-0" } });
		await expect.poll(() => handle.read()).toBe(2 * STEPS);
		await t.settle();
		// The replay's turn, the first attempt's careful commit, a commit per step boundary (a
		// careful attempt each would add one more per step).
		expect(storage.commits - before).toBeLessThanOrEqual(STEPS + 4);
	});

	it("gives back what the removed work received and did not complete, so the replay receives it", async () => {
		// Kept leased to the halted run, it never reached the replayed receive (a review).
		await using t = await setupTest(registry);
		const handle = t.client.holding.getOrCreate("h1");
		await handle.send("jobs", "first");
		await expect.poll(() => handle.read()).toEqual(["first"]);
		await t.settle();
		const actorId = await handle.resolve();
		const replay = await post(`${t.url}/inspector/actors/${actorId}/workflow/replay`, {
			path: [0],
		});
		expect(replay).toMatchObject({ status: 200, body: { from: "take", removed: 3 } });
		await expect.poll(() => handle.read()).toEqual(["first", "first"]);
		expect(await handle.size()).toBe(1);
		await t.settle();
		await t.clock.advance(60_000);
		await expect.poll(() => handle.size()).toBe(0);
	});

	it("refuses what it cannot replay, and the workflow goes on", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.order.getOrCreate("o3");
		await expect.poll(async () => (await handle.read()).log).toEqual(["reserve"]);
		await t.settle();
		const actorId = await handle.resolve();
		const url = `${t.url}/inspector/actors/${actorId}/workflow/replay`;

		for (const path of [[0, 1], [-1], [1.5], ["0"], [], "0", null, [2 ** 60]]) {
			expect(await post(url, { path })).toMatchObject({
				status: 400,
				body: { group: "workflow", code: "replay_invalid" },
			});
		}
		expect(await post(url, {})).toMatchObject({ status: 400, body: { code: "replay_invalid" } });
		expect(await post(url, { path: [7] })).toMatchObject({
			status: 404,
			body: { group: "workflow", code: "replay_not_found" },
		});
		for (const restoreSeq of [0, -3, "1", 1.5]) {
			expect(await post(url, { path: [0], restoreSeq })).toMatchObject({
				status: 400,
				body: { group: "request", code: "invalid" },
			});
		}
		expect(await post(url, { path: [0], restoreSeq: 999 })).toMatchObject({
			status: 404,
			body: { group: "inspector", code: "turn_not_found" },
		});
		const readOnly = { authorization: `Bearer ${READER}`, "content-type": "application/json" };
		expect(await post(url, { path: [0] }, readOnly)).toMatchObject({
			status: 403,
			body: { group: "auth", code: "forbidden" },
		});
		const plainId = await t.client.plain.getOrCreate("p").resolve();
		expect(
			await post(`${t.url}/inspector/actors/${plainId}/workflow/replay`, { path: [0] }),
		).toMatchObject({ status: 400, body: { group: "inspector", code: "replay_unsupported" } });

		// Nothing was removed, and the halted-and-restarted workflow carries on.
		expect((await workflowOf(t.url, actorId)).entries.map((entry) => entry.location)).toEqual([
			"reserve",
			"pause",
		]);
		await t.settle();
		await t.clock.advance(1_000);
		await expect.poll(async () => (await handle.read()).log).toEqual(["reserve", "charge"]);
	});

	it("refuses to replay work that consumed queue messages", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.inbox.getOrCreate("i1");
		await handle.send("jobs", "first");
		await expect.poll(() => handle.read()).toEqual(["first"]);
		await t.settle();
		const actorId = await handle.resolve();
		// The history says so before anyone asks (the inspector offered a replay that could
		// only fail: a walkthrough, 2026-11-29).
		const entries = (await t.workflowHistory(actorId)).entries.filter((e) => e.path.length === 1);
		expect(entries[0]?.replayRefused).toMatchObject({ reason: "messages_consumed" });
		expect(entries[1]?.replayRefused).toBeUndefined();
		expect(
			await post(`${t.url}/inspector/actors/${actorId}/workflow/replay`, { path: [0] }),
		).toMatchObject({
			status: 409,
			body: {
				group: "workflow",
				code: "replay_refused",
				metadata: { reason: "messages_consumed" },
			},
		});
		// From the step after the message, it may.
		expect(
			await post(`${t.url}/inspector/actors/${actorId}/workflow/replay`, { path: [1] }),
		).toMatchObject({ status: 200, body: { from: "record", removed: 1 } });
		await expect.poll(() => handle.read()).toEqual(["first", "first"]);
	});
});
