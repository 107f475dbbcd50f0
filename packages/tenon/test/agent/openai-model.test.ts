// openAIModel against a real mock LLM server: streaming and options.
import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../src/agent/model.js";
import { openAIModel } from "../../src/agent/openai-model.js";
import {
	ask,
	collect,
	expectModelError,
	mockLlm,
	mockLlmUrl,
	model,
	rawModel,
	serverViews,
	startMockLlmForFile,
	textOf,
	toolCallsOf,
} from "./openai-mock-llm.js";

startMockLlmForFile();

describe("openAIModel: streaming", () => {
	it("delivers text as several deltas, in order, then done with the usage", async () => {
		const content = "The quick brown fox jumps over the lazy dog, twice over.";
		mockLlm().onMessage("tell me about the fox", { content });

		const { events, error } = await collect(
			model().stream({ messages: ask("tell me about the fox") }),
		);

		expect(error).toBeUndefined();
		const deltas = events.filter((event) => event.type === "text");
		expect(deltas.length).toBeGreaterThan(5);
		expect(textOf(events)).toBe(content);
		expect(events.at(-1)).toEqual({
			type: "done",
			finishReason: "stop",
			usage: { promptTokens: expect.any(Number), completionTokens: expect.any(Number) },
		});
		expect(events.filter((event) => event.type === "done")).toHaveLength(1);
	});

	it("sends the conversation, tools and options in OpenAI's wire format", async () => {
		mockLlm().onMessage("what did the lookup say", { content: "It said 42." });
		const messages: ChatMessage[] = [
			{ role: "system", content: "You are terse." },
			{ role: "user", content: "what did the lookup say", name: "ada" },
			{
				role: "assistant",
				content: null,
				toolCalls: [{ id: "call_1", name: "lookup", arguments: '{"q":"answer"}' }],
			},
			{ role: "tool", content: '{"value":42}', toolCallId: "call_1" },
		];
		const tools = [
			{
				name: "lookup",
				description: "Looks a thing up",
				parameters: { type: "object", properties: { q: { type: "string" } } },
			},
		];

		const { error } = await collect(
			model({
				apiKey: "sk-test",
				temperature: 0.2,
				headers: { "X-Trace": "t-1", "x-test-case": "wire" },
			}).stream({
				messages,
				tools,
			}),
		);

		expect(error).toBeUndefined();
		const request = mockLlm().getLastRequest();
		expect(request?.path).toBe("/v1/chat/completions");
		expect(serverViews.get("wire")?.authorization).toBe("Bearer sk-test");
		expect(request?.headers["x-trace"]).toBe("t-1");
		// aimock adds its own `_`-prefixed bookkeeping to the journalled body.
		const sent = Object.fromEntries(
			Object.entries(request?.body ?? {}).filter(([key]) => !key.startsWith("_")),
		);
		expect(sent).toEqual({
			model: "test-model",
			stream: true,
			stream_options: { include_usage: true },
			temperature: 0.2,
			messages: [
				{ role: "system", content: "You are terse." },
				{ role: "user", content: "what did the lookup say", name: "ada" },
				{
					role: "assistant",
					content: null,
					tool_calls: [
						{
							id: "call_1",
							type: "function",
							function: { name: "lookup", arguments: '{"q":"answer"}' },
						},
					],
				},
				{ role: "tool", content: '{"value":42}', tool_call_id: "call_1" },
			],
			tools: [
				{
					type: "function",
					function: {
						name: "lookup",
						description: "Looks a thing up",
						parameters: { type: "object", properties: { q: { type: "string" } } },
					},
				},
			],
		});
	});

	it("delivers one tool call complete, with arguments that parse", async () => {
		const args = { city: "Paris", units: "metric", days: [1, 2, 3] };
		mockLlm().onMessage("weather in paris", {
			toolCalls: [{ name: "get_weather", arguments: JSON.stringify(args) }],
		});

		const { events, error } = await collect(model().stream({ messages: ask("weather in paris") }));

		expect(error).toBeUndefined();
		const calls = toolCallsOf(events);
		expect(calls).toHaveLength(1);
		expect(calls[0]?.name).toBe("get_weather");
		expect(calls[0]?.id).toMatch(/\S/);
		expect(JSON.parse(calls[0]?.arguments ?? "")).toEqual(args);
		expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "tool_calls" });
	});

	it("delivers text and several tool calls, each complete and in order", async () => {
		mockLlm().onMessage("plan the trip", {
			content: "Let me check three things.",
			toolCalls: [
				{ name: "flights", arguments: JSON.stringify({ from: "BER", to: "CDG" }) },
				{ name: "hotels", arguments: JSON.stringify({ city: "Paris", nights: 3 }) },
				{ name: "weather", arguments: JSON.stringify({ city: "Paris" }) },
			],
		});

		const { events, error } = await collect(model().stream({ messages: ask("plan the trip") }));

		expect(error).toBeUndefined();
		expect(textOf(events)).toBe("Let me check three things.");
		const calls = toolCallsOf(events);
		expect(calls.map((call) => call.name)).toEqual(["flights", "hotels", "weather"]);
		expect(calls.map((call) => JSON.parse(call.arguments))).toEqual([
			{ from: "BER", to: "CDG" },
			{ city: "Paris", nights: 3 },
			{ city: "Paris" },
		]);
		expect(new Set(calls.map((call) => call.id)).size).toBe(3);
		// Text first, then the calls, then done.
		const kinds = events.map((event) => event.type);
		expect(kinds.lastIndexOf("text")).toBeLessThan(kinds.indexOf("tool_call"));
		expect(kinds.at(-1)).toBe("done");
	});

	it("groups tool call fragments that come without an index (some compatible servers)", async () => {
		const { events, error } = await collect(
			rawModel("tool-calls-without-index").stream({ messages: ask("go") }),
		);

		expect(error).toBeUndefined();
		expect(toolCallsOf(events)).toEqual([
			{ id: "call_a", name: "alpha", arguments: '{"x":1}' },
			{ id: "call_b", name: "beta", arguments: "{}" },
		]);
	});

	it("ignores comments, unknown SSE fields, unknown JSON fields and other choices", async () => {
		const { events, error } = await collect(
			rawModel("noise-and-unknown-fields").stream({ messages: ask("go") }),
		);

		expect(error).toBeUndefined();
		expect(events).toEqual([
			{ type: "text", delta: "ok" },
			{ type: "done", finishReason: "stop", usage: { promptTokens: 3, completionTokens: 4 } },
		]);
	});

	it("decodes UTF-8 characters split across network reads", async () => {
		const { events, error } = await collect(rawModel("split-utf8").stream({ messages: ask("go") }));

		expect(error).toBeUndefined();
		expect(textOf(events)).toBe("héllo 🌍!");
	});

	it("accepts a stream that ends cleanly after finish_reason without [DONE]", async () => {
		const { events, error } = await collect(
			rawModel("finish-then-eof").stream({ messages: ask("go") }),
		);

		expect(error).toBeUndefined();
		expect(events).toEqual([
			{ type: "text", delta: "complete" },
			{ type: "done", finishReason: "stop" },
		]);
	});

	it("never lets a __proto__ key in the server's JSON count as data or reach a prototype", async () => {
		const { events, error } = await collect(rawModel("proto-keys").stream({ messages: ask("go") }));

		// The tool call's id and name arrived only under __proto__, so it has none.
		expectModelError(error, "model_bad_stream");
		expect(textOf(events)).toBe("safe");
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		expect(Object.prototype).not.toHaveProperty("polluted");
	});
});

describe("openAIModel: options", () => {
	it("refuses options that cannot work, at creation", () => {
		expect(() => openAIModel({ baseURL: "not a url", model: "m" })).toThrow(/baseURL/);
		expect(() => openAIModel({ baseURL: mockLlmUrl(), model: "" })).toThrow(/model/);
		expect(() => openAIModel({ baseURL: mockLlmUrl(), model: "m", maxOutputBytes: 0 })).toThrow(
			/maxOutputBytes/,
		);
		expect(() => openAIModel({ baseURL: mockLlmUrl(), model: "m", timeoutMs: -1 })).toThrow(
			/timeoutMs/,
		);
	});

	it("refuses a tool message without toolCallId", async () => {
		const { error } = await collect(
			model().stream({ messages: [{ role: "tool", content: "{}" }] }),
		);

		expect(error).toBeInstanceOf(TypeError);
	});
});
