// Regression (an attacker probe, 2026-11-27): half of a surrogate pair in a model's tool call
// (its id, its name, or its arguments' text), or in the metadata of a tool's error, reached the
// workflow journal, which refuses such text: the workflow failed, the turn stayed `running`, and
// no later prompt ran, even after a restart. Recorded text is made well formed (U+FFFD).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentActor, defineTool, type ModelEvent } from "../../src/agent/index.js";
import { UserError } from "../../src/index.js";
import { annTalksTo, says, scripted, toolCall, toolCallsDone } from "./scripted-model.js";

const LONE = "\ud800";
const ran: unknown[] = [];
const lookup = defineTool({
	name: "lookup",
	description: "looks a word up",
	input: z.object({ q: z.string() }).strict(),
	execute: (input) => {
		ran.push(input);
		return { found: true };
	},
});
const failing = defineTool({
	name: "failing",
	description: "fails with what it read",
	input: z.object({ q: z.string() }).strict(),
	execute: () => {
		throw new UserError("not found", { metadata: { [`k${LONE}`]: `v\udc00`, list: [LONE] } });
	},
});

const answers: Record<string, ModelEvent[]> = {
	clean: [toolCall("c1", "lookup", '{"q":"a"}'), toolCallsDone],
	id: [toolCall(`call_${LONE}`, "lookup", '{"q":"a"}'), toolCallsDone],
	name: [toolCall("c1", `lookup${LONE}`, '{"q":"a"}'), toolCallsDone],
	argValue: [toolCall("c1", "lookup", `{"q":"${LONE}"}`), toolCallsDone],
	argEscaped: [toolCall("c1", "lookup", '{"q":"\\ud800"}'), toolCallsDone],
	argKey: [toolCall("c1", "lookup", `{"q":"x","${LONE}":1}`), toolCallsDone],
	argNotJson: [toolCall("c1", "lookup", `{"q":${LONE}}`), toolCallsDone],
	errorMetadata: [toolCall("c1", "failing", '{"q":"a"}'), toolCallsDone],
};

describe("half a surrogate pair in a tool call or a tool's error", () => {
	for (const [name, answer] of Object.entries(answers)) {
		it(`${name}: the turn ends, its messages are kept, and the next prompt runs`, async () => {
			const model = scripted((call) => (call === 1 ? answer : says("done")));
			await using chat = await annTalksTo(
				agentActor({
					model,
					tools: [lookup, failing],
					createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
					identify: (conn) => ({ id: conn.state.user }),
				}),
			);
			const { conn, turns } = chat;
			const first = await conn.prompt("go");
			const firstEnd = await turns.ended(first.turnId);
			expect(firstEnd.status, JSON.stringify(firstEnd)).toBe("done");
			const second = await conn.prompt("again");
			expect((await turns.ended(second.turnId)).status).toBe("done");
			const history = await conn.history();
			for (const message of history) {
				expect(message.content.isWellFormed()).toBe(true);
				for (const call of message.toolCalls ?? []) {
					expect(call.id.isWellFormed() && call.name.isWellFormed()).toBe(true);
					expect(call.arguments.isWellFormed()).toBe(true);
				}
			}
			expect(history.some((message) => message.role === "tool")).toBe(true);
		}, 30_000);
	}
});
