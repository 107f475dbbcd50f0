// A note (addAssistantMessage) whose step fails for good (the app's tables filled the
// database, as in turn-contained.test.ts) is contained like a prompt's turn: it failed the
// whole workflow, and no later prompt ever ran, even after the space was freed (a review,
// 2026-11-28). The note is logged and dropped; the conversation goes on.
import { expect, it } from "vitest";
import { addAssistantMessage, agentActor } from "../../src/agent/index.js";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { fillDatabase, says, scripted, turnsOf } from "./scripted-model.js";

const chat = agentActor({
	model: scripted(() => says("fine")),
	rateLimit: false,
	maxAnswerChars: 100_000,
	createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
	identify: (conn) => ({ id: conn.state.user }),
	options: { maxDatabaseSize: 1024 * 1024 },
	actions: {
		fill: (c) => fillDatabase(c.db),
		free: async (c) => {
			await c.db.execute("DROP TABLE mine");
		},
		note: (c, text: string) => addAssistantMessage(c, text),
	},
});

it("a note that cannot be stored does not end the conversation", async () => {
	await using t = await setupTest(setup({ use: { chat } }), { logLevel: "silent" });
	const conn = t.client.chat.getOrCreate(["full"], { params: { user: "u" } }).connect();
	conn.onSharedState(() => {});
	const turns = turnsOf(conn);
	expect(await conn.fill()).toBeGreaterThan(0);
	await conn.note("n".repeat(5_000));
	for (let i = 0; i < 20; i++) await t.clock.advance(5_000);
	await conn.free();
	const second = await conn.prompt("two");
	const end = turns.ended(second.turnId);
	for (let i = 0; i < 20; i++) await t.clock.advance(5_000);
	expect((await end).status).toBe("done");
	await conn.dispose();
}, 30_000);
