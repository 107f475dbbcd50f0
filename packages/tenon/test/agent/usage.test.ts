// The tokens a turn used: the model's server reports them (openAIModel asks for them), and
// the agent dropped them (a walkthrough, 2026-11-28: no way to count or bill a user's
// tokens). An answer keeps its model call's usage, a turn's end carries the sum, and
// `onTurnEnd` hears it once per turn; what a ChatModel reports that is no count is dropped.
import { expect, it } from "vitest";
import { z } from "zod";
import {
	type AgentTurnEnd,
	agentActor,
	defineTool,
	type ModelEvent,
} from "../../src/agent/index.js";
import { migrateTranscript, Transcript } from "../../src/agent/transcript.js";
import { db } from "../../src/db/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { scripted, toolCall, turnsOf } from "./scripted-model.js";

const done = (usage: unknown): ModelEvent =>
	({ type: "done", finishReason: "stop", usage }) as ModelEvent;

it("keeps each answer's usage, sums the turn's, and tells onTurnEnd once", async () => {
	const heard: AgentTurnEnd[] = [];
	const model = scripted((call) =>
		call === 1
			? [
					toolCall("c1", "lookup", "{}"),
					{
						type: "done",
						finishReason: "tool_calls",
						usage: { promptTokens: 100, completionTokens: 7 },
					},
				]
			: call === 2
				? [{ type: "text", delta: "It is 42." }, done({ promptTokens: 130, completionTokens: 5 })]
				: [{ type: "text", delta: "ok" }, done({ promptTokens: -1, completionTokens: "9" })],
	);
	const lookup = defineTool({
		name: "lookup",
		description: "looks",
		input: z.object({}),
		risk: "low",
		execute: () => 42,
	});
	const counted = agentActor({
		model,
		tools: [lookup],
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
		onTurnEnd: (_c, turn) => {
			heard.push(turn);
		},
	});
	await using t = await setupTest(setup({ use: { counted }, logLevel: "silent" }));
	const conn = t.client.counted.getOrCreate(["ann"], { params: { user: "ann" } }).connect();
	const turns = turnsOf(conn);
	const first = await conn.prompt("what is it?");
	const end = await turns.ended(first.turnId);
	expect(end.usage).toEqual({ promptTokens: 230, completionTokens: 12 });
	const answers = (await conn.history()).filter((m) => m.role === "assistant");
	expect(answers.map((m) => m.usage)).toEqual([
		{ promptTokens: 100, completionTokens: 7 },
		{ promptTokens: 130, completionTokens: 5 },
	]);
	await expect.poll(() => heard.length).toBe(1);
	expect(heard[0]).toMatchObject({
		turnId: first.turnId,
		status: "done",
		requester: "ann",
		usage: { promptTokens: 230, completionTokens: 12 },
	});
	// A usage that is no count is dropped: the answer and the turn have none.
	const second = await conn.prompt("again");
	const secondEnd = await turns.ended(second.turnId);
	expect(secondEnd.usage).toBeUndefined();
	expect((await conn.history()).at(-1)?.usage).toBeUndefined();
	await expect.poll(() => heard.length).toBe(2);
	await conn.dispose();
});

// A transcript made before usage was kept gets its column on the next wake.
const OLD_SCHEMA = `CREATE TABLE tenon_agent_messages (
	seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, turn_id TEXT NOT NULL,
	role TEXT NOT NULL, content TEXT NOT NULL, status TEXT NOT NULL, author TEXT,
	tool_calls TEXT, tool_call_id TEXT, tool_name TEXT, created_at INTEGER NOT NULL)`;
const old = actor({
	state: {},
	db: db({ onMigrate: (d) => d.execute(OLD_SCHEMA).then(() => undefined) }),
	actions: {
		upgrade: async (c) => {
			await c.db.execute(
				"INSERT INTO tenon_agent_messages (id, turn_id, role, content, status, created_at) VALUES ('m1', 't', 'user', 'hi', 'complete', 0)",
			);
			await migrateTranscript(c.db);
			await migrateTranscript(c.db);
			const transcript = new Transcript(c.db);
			await transcript.add({
				id: "m2",
				turnId: "t",
				role: "assistant",
				content: "hello",
				status: "complete",
				author: null,
				toolCalls: null,
				toolCallId: null,
				toolName: null,
				createdAt: 1,
				usage: { promptTokens: 3, completionTokens: 1 },
			});
			return transcript.page(10);
		},
	},
});

it("adds the usage column to a transcript made before it", async () => {
	await using t = await setupTest(setup({ use: { old }, logLevel: "silent" }));
	const page = await t.client.old.getOrCreate("o").upgrade();
	expect(page.map((m) => [m.id, m.usage])).toEqual([
		["m1", undefined],
		["m2", { promptTokens: 3, completionTokens: 1 }],
	]);
});
