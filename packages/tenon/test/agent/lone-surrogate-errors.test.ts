// A review (2026-11-26): a model server whose error text holds a lone surrogate (or whose
// error preview cuts an emoji in half) must fail the turn, not the workflow.
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
rawScenarios.switch = (res) => {
	if (mode === "json-error") {
		res.writeHead(500, { "content-type": "application/json" });
		// A JSON escape: the parsed message holds a lone surrogate.
		res.end('{"error":{"message":"overloaded \\ud800 retry later"}}');
		return;
	}
	if (mode === "json-error-ascii") {
		res.writeHead(500, { "content-type": "application/json" });
		res.end('{"error":{"message":"overloaded retry later"}}');
		return;
	}
	if (mode === "emoji-cut") {
		res.writeHead(500, { "content-type": "text/plain" });
		// Plain text with an emoji at 500 chars: the preview cuts it in half.
		res.end(`${"x".repeat(499)}🌍 and more text`);
		return;
	}
	if (mode === "stream-error") {
		startEventStream(res);
		res.end('data: {"error":{"message":"boom \\udc00"}}\n\n');
		return;
	}
	if (mode === "tool-error") {
		startEventStream(res);
		res.write(
			chunk({
				tool_calls: [{ index: 0, id: "c1", function: { name: "echo", arguments: '{"q":"ab"}' } }],
			}),
		);
		res.end(chunk({}, "tool_calls") + DONE);
		mode = "ok";
		return;
	}
	startEventStream(res);
	res.write(chunk({ content: "fine" }));
	res.end(chunk({}, "stop") + DONE);
};

const echo = defineTool({
	name: "echo",
	description: "echo",
	input: z.object({ q: z.string() }).strict(),
	execute: ({ q }) => {
		// A tool whose error message cuts a string mid-pair (a common slice).
		throw new Error(`not found: ${"🌍".repeat(3).slice(0, 5)}${q}`);
	},
});

function agent() {
	return agentActor({
		model: rawModel("switch", { timeoutMs: 5_000 }),
		tools: [echo],
		modelRetries: 0,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
	});
}

describe("lone surrogates in errors", () => {
	for (const m of [
		"ok",
		"json-error-ascii",
		"json-error",
		"emoji-cut",
		"stream-error",
		"tool-error",
	]) {
		it(`${m}: the turn ends and the next prompt still runs`, async () => {
			await using chat = await annTalksTo(agent());
			const { conn, turns } = chat;
			mode = m;
			const first = await conn.prompt("hello");
			const end = await turns.ended(first.turnId);
			expect(["failed", "done"]).toContain(end.status);
			mode = "ok";
			const second = await conn.prompt("again");
			const end2 = await turns.ended(second.turnId);
			expect(end2.status).toBe("done");
		}, 30_000);
	}
});
