// A step of a turn that failed for another reason than the model (here the
// app's own tables filled the actor's database, so the prompt could not be
// stored) failed the conversation's workflow for good: no later prompt ever
// ran, even after the app freed its space (noticed 2026-11-28). A turn that
// fails now ends as `failed`, and the next prompt runs.
import { expect, it } from "vitest";
import { agentActor } from "../../src/agent/index.js";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { fillDatabase, says, scripted, turnsOf } from "./scripted-model.js";

const chat = agentActor({
	model: scripted(() => says("fine")),
	rateLimit: false,
	createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
	identify: (conn) => ({ id: conn.state.user }),
	options: { maxDatabaseSize: 1024 * 1024 },
	actions: {
		/** Fills the database with the app's own rows until not even a small one fits. */
		fill: (c) => fillDatabase(c.db),
		free: async (c) => {
			await c.db.execute("DROP TABLE mine");
		},
	},
});

it("ends a turn whose step failed as failed, and runs the next prompt", async () => {
	await using t = await setupTest(setup({ use: { chat } }), { logLevel: "silent" });
	const conn = t.client.chat.getOrCreate(["full"], { params: { user: "u" } }).connect();
	conn.onSharedState(() => {});
	const turns = turnsOf(conn);
	const ended = async (turnId: string) => {
		// Retries wait on the test clock.
		const end = turns.ended(turnId);
		for (let i = 0; i < 20; i++) await t.clock.advance(5_000);
		return end;
	};
	expect(await conn.fill()).toBeGreaterThan(0);
	// Longer than a page: the transcript needs a page, and none is left.
	const first = await conn.prompt("o".repeat(5_000));
	expect(await ended(first.turnId)).toMatchObject({
		status: "failed",
		error: { group: "agent", code: "turn_failed" },
	});
	await expect
		.poll(() => conn.sharedState)
		.toMatchObject({ turn: null, queued: [], last: { turnId: first.turnId, status: "failed" } });

	await conn.free();
	const second = await conn.prompt("two");
	expect((await ended(second.turnId)).status).toBe("done");
	const history = await conn.history();
	expect(history.map((m) => m.content)).toEqual(["two", "fine"]);
	await conn.dispose();
}, 60_000);

// A model call that failed after some text left that text in `live` (the answer
// being written) until the next answer began (a review, 2026-11-28).
it("shows no live answer after a model call failed mid-answer", async () => {
	const failing = agentActor({
		model: {
			async *stream() {
				yield { type: "text", delta: "half an ans" };
				throw new Error("the model went away");
			},
		},
		rateLimit: false,
		modelRetries: 0,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
	});
	await using t = await setupTest(setup({ use: { failing } }), { logLevel: "silent" });
	const conn = t.client.failing.getOrCreate(["f"], { params: { user: "u" } }).connect();
	const turns = turnsOf(conn);
	const { turnId } = await conn.prompt("go");
	expect(await turns.ended(turnId)).toMatchObject({ status: "failed" });
	expect(await conn.live()).toBeNull();
	await conn.dispose();
});
