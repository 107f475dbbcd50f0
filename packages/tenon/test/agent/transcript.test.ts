// The transcript the model reads is always a valid chat: tool calls left
// without a result (a crash, a stop, a cut page) get one, results without
// their call are dropped, failed answers are not shown to the model.
import { describe, expect, it } from "vitest";
import { modelHistory } from "../../src/agent/transcript.js";
import type { AgentMessage } from "../../src/agent/types.js";

let seq = 0;
function message(
	fields: Partial<AgentMessage> & Pick<AgentMessage, "role" | "content">,
): AgentMessage {
	seq++;
	return {
		seq,
		id: `m${seq}`,
		turnId: "t",
		status: "complete",
		author: null,
		toolCalls: null,
		toolCallId: null,
		toolName: null,
		createdAt: 0,
		...fields,
	};
}

describe("modelHistory", () => {
	it("keeps a well-formed history as it is", () => {
		const history = modelHistory([
			message({ role: "user", content: "hi" }),
			message({
				role: "assistant",
				content: "",
				toolCalls: [{ id: "c1", name: "look", arguments: "{}" }],
			}),
			message({ role: "tool", content: "42", toolCallId: "c1", toolName: "look" }),
			message({ role: "assistant", content: "It is 42." }),
		]);
		expect(history).toEqual([
			{ role: "user", content: "hi" },
			{ role: "assistant", content: "", toolCalls: [{ id: "c1", name: "look", arguments: "{}" }] },
			{ role: "tool", toolCallId: "c1", content: "42" },
			{ role: "assistant", content: "It is 42." },
		]);
	});

	it("answers calls that never got a result, drops results without a call, skips failed answers", () => {
		const history = modelHistory([
			message({ role: "tool", content: "orphan from a cut page", toolCallId: "c0" }),
			message({ role: "user", content: "hi" }),
			message({
				role: "assistant",
				content: "",
				toolCalls: [
					{ id: "c1", name: "a", arguments: "{}" },
					{ id: "c2", name: "b", arguments: "{}" },
				],
			}),
			message({ role: "tool", content: "done", toolCallId: "c2" }),
			message({ role: "tool", content: "stray", toolCallId: "c9" }),
			message({ role: "assistant", content: "agent/model_http_error: down", status: "failed" }),
			message({ role: "user", content: "again" }),
		]);
		expect(history).toEqual([
			{ role: "user", content: "hi" },
			{
				role: "assistant",
				content: "",
				toolCalls: [
					{ id: "c1", name: "a", arguments: "{}" },
					{ id: "c2", name: "b", arguments: "{}" },
				],
			},
			{ role: "tool", toolCallId: "c2", content: "done" },
			{
				role: "tool",
				toolCallId: "c1",
				content: JSON.stringify({ error: "the call of a did not complete" }),
			},
			{ role: "user", content: "again" },
		]);
	});
});
