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
