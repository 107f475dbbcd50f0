// A conversation whose transcript filled its database (`maxDatabaseSize`)
// failed the turn as `agent/model_failed`, then its workflow for good
// ("Step 'turns[51]/begin' failed after 4 attempts"): no prompt ran again.
// Checked 2026-11-28 with a 1 MiB database and 20,000-character answers.
// A new turn now deletes the oldest messages when the database passes
// `maxTranscriptBytes` (half of it by default).
import { expect, it } from "vitest";
import { agentActor, type ChatModel } from "../../src/agent/index.js";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { turnsOf } from "./scripted-model.js";

const model: ChatModel = {
	async *stream() {
		yield { type: "text", delta: "y".repeat(20_000) };
		yield { type: "done", finishReason: "stop" };
	},
};
const chat = agentActor({
	model,
	rateLimit: false,
	createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
	identify: (conn) => ({ id: conn.state.user }),
	options: { maxDatabaseSize: 1024 * 1024 },
});

it("keeps a long conversation going: its oldest messages go, not its turns", async () => {
	await using t = await setupTest(setup({ use: { chat } }), { logLevel: "silent" });
	const conn = t.client.chat.getOrCreate(["long"], { params: { user: "u" } }).connect();
	const turns = turnsOf(conn);
	const ends: string[] = [];
	for (let i = 0; i < 80; i++) {
		const { turnId } = await conn.prompt(`prompt ${i}`);
		ends.push((await turns.ended(turnId)).status);
	}
	expect(ends.filter((status) => status !== "done")).toEqual([]);
	const history = await conn.history({ limit: 500 });
	// The newest are kept, the oldest went: within half the database in text, give or take one.
	expect(history.at(-1)?.content).toHaveLength(20_000);
	expect(history.at(-2)?.content).toBe("prompt 79");
	expect(history[0]?.seq).toBeGreaterThan(1);
	expect(history.length).toBeLessThan(60);
	await conn.dispose();
}, 60_000);

// The app's own tables in the same database: the prune has nothing of its own to delete, and
// reads the transcript once, not at every turn (a review, 2026-11-28); the turns go on.
it("leaves the transcript be when the app's own tables fill the database", async () => {
	const withOwn = agentActor({
		model,
		rateLimit: false,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
		maxTranscriptBytes: 256 * 1024,
		options: { maxDatabaseSize: 2 * 1024 * 1024 },
		actions: {
			fill: async (c) => {
				await c.db.execute("CREATE TABLE IF NOT EXISTS mine (v TEXT)");
				for (let i = 0; i < 6; i++)
					await c.db.execute("INSERT INTO mine (v) VALUES (?)", "m".repeat(100_000));
			},
		},
	});
	await using t = await setupTest(setup({ use: { withOwn } }), { logLevel: "silent" });
	const conn = t.client.withOwn.getOrCreate(["own"], { params: { user: "u" } }).connect();
	await conn.fill();
	const turns = turnsOf(conn);
	for (let i = 0; i < 4; i++) {
		const { turnId } = await conn.prompt(`prompt ${i}`);
		expect((await turns.ended(turnId)).status).toBe("done");
	}
	// Its own 8 messages (about 80 KB of text) are under half of its budget: all kept.
	expect(await conn.history({ limit: 500 })).toHaveLength(8);
	await conn.dispose();
}, 60_000);
