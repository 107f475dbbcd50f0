// Text with half a surrogate pair (a tool result, a cut inside an emoji) is stored well formed:
// a lone surrogate has no UTF-8 form, storage refused it, and the turn never ended (a review,
// 2026-11-26).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentActor, defineTool } from "../../src/agent/index.js";
import {
	chunk,
	DONE,
	rawModel,
	rawScenarios,
	startEventStream,
	startMockLlmForFile,
} from "./openai-mock-llm.js";
import { annTalksTo } from "./scripted-model.js";

startMockLlmForFile();
let mode = "ok";
rawScenarios.sw2 = (res) => {
	startEventStream(res);
	if (mode === "text") {
		res.write(
			'data: {"choices":[{"index":0,"delta":{"content":"half \\ud83c pair"},"finish_reason":null}]}\n\n',
		);
		res.end(chunk({}, "stop") + DONE);
		mode = "ok";
		return;
	}
	if (mode === "result") {
		res.write(
			chunk({ tool_calls: [{ index: 0, id: "c1", function: { name: "cut", arguments: "{}" } }] }),
		);
		res.end(chunk({}, "tool_calls") + DONE);
		mode = "ok";
		return;
	}
	res.write(chunk({ content: "fine" }));
	res.end(chunk({}, "stop") + DONE);
};
let runs = 0;
const cut = defineTool({
	name: "cut",
	description: "returns a string cut mid-emoji",
	input: z.object({}).strict(),
	execute: () => {
		runs++;
		return `done ${"🌍".slice(0, 1)}`;
	},
});
const agent = () =>
	agentActor({
		model: rawModel("sw2", { timeoutMs: 5_000 }),
		tools: [cut],
		modelRetries: 0,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
	});

describe("lone surrogates in model text / tool results", () => {
	it("text: the answer is stored and shown", async () => {
		await using chat = await annTalksTo(agent());
		mode = "text";
		const { turnId } = await chat.conn.prompt("hi");
		const end = await chat.turns.ended(turnId);
		expect(end.status).toBe("done");
		const history = await chat.conn.history();
		expect(history.at(-1)?.content).toMatch(/\uFFFD/);
	}, 30_000);
	it("result: a tool that ran with a result holding a lone surrogate is not a failed call", async () => {
		await using chat = await annTalksTo(agent());
		mode = "result";
		runs = 0;
		const { turnId } = await chat.conn.prompt("hi");
		expect((await chat.turns.ended(turnId)).status).toBe("done");
		const history = await chat.conn.history();
		expect(runs).toBe(1);
		expect(history.find((m) => m.role === "tool")?.status).toBe("complete");
	}, 30_000);
});
