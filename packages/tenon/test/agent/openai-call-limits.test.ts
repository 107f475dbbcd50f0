// openAIModel's own limit of tool calls per answer was the agent's default
// (128): an answer asking for more failed inside the model client (a failed
// turn, `model_output_too_large`) before the agent could cut it, while the
// docs say such an answer is cut (`truncated`) and none of its calls run (an
// attacker probe, 2026-11-28). The client's default is now above the agent's.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentActor, defineTool } from "../../src/agent/index.js";
import { rawModel, startMockLlmForFile } from "./openai-mock-llm.js";
import { annTalksTo } from "./scripted-model.js";

startMockLlmForFile();

describe("an answer asking for more tool calls than the agent takes, through openAIModel", () => {
	it("is cut by the agent (truncated), and none of its calls run", async () => {
		let runs = 0;
		const alpha = defineTool({
			name: "alpha",
			description: "Counts its runs",
			input: z.object({}).strict(),
			execute: () => ++runs,
		});
		await using talk = await annTalksTo(
			agentActor({
				model: rawModel("many-tool-calls"),
				tools: [alpha],
				modelRetries: 0,
				maxToolRounds: 1,
				createConnState: (_c: unknown, params: { user: string }) => ({ user: params.user }),
				identify: (conn) => ({ id: conn.state.user }),
			}),
		);
		const ended = await talk.turns.ended((await talk.conn.prompt("do everything")).turnId);
		expect(ended.status).toBe("done");
		const history = await talk.conn.history();
		expect(history.some((message) => message.status === "truncated")).toBe(true);
		expect(runs).toBe(0);
	});
});
