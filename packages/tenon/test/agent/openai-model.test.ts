import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:net";
import { LLMock, type Mountable } from "@copilotkit/aimock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChatMessage, ModelError, type ModelEvent } from "../../src/agent/model.js";
import { type OpenAIModelOptions, openAIModel } from "../../src/agent/openai-model.js";

// One real mock LLM server (aimock) for the file. Two mounts sit in front of
// its OpenAI routes: an observer that records, per `x-test-case` header, the
// Authorization header and whether the server saw its response torn down
// before the end; and `/raw/*`, which answers with hand-written bytes for the
// hostile cases aimock cannot produce (bad JSON inside an event, `__proto__`
// keys, missing fields, ...).

/** What the server saw of one request's response. */
interface ServerView {
	/** The request's Authorization header (aimock's journal redacts it). */
	authorization?: string;
	/** Set when the response closed: true if that was before it was complete. */
	closedEarly?: boolean;
}
const serverViews = new Map<string, ServerView>();

const observer: Mountable = {
	async handleRequest(req, res) {
		const testCase = req.headers["x-test-case"];
		if (typeof testCase === "string") {
			const view: ServerView = {};
			if (req.headers.authorization !== undefined) view.authorization = req.headers.authorization;
			serverViews.set(testCase, view);
			res.on("close", () => {
				view.closedEarly = !res.writableFinished;
			});
		}
		// Not handled: aimock's own chat route answers.
		return false;
	},
};

const sse = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
const chunk = (delta: object, finishReason: string | null = null): string =>
	sse({
		id: "chatcmpl-raw",
		object: "chat.completion.chunk",
		choices: [{ index: 0, delta, finish_reason: finishReason }],
	});
const usageChunk = sse({
	id: "chatcmpl-raw",
	choices: [],
	usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
});
const DONE = "data: [DONE]\n\n";

function startEventStream(res: ServerResponse): void {
	res.writeHead(200, { "content-type": "text/event-stream" });
}

/** Lets the previous write leave the process before the next one. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

const rawScenarios: Record<string, (res: ServerResponse) => Promise<void> | void> = {
	"proto-keys": (res) => {
		startEventStream(res);
		res.write(
			'data: {"__proto__":{"polluted":true},"choices":[{"index":0,"delta":{"__proto__":{"content":"evil"}},"finish_reason":null}]}\n\n',
		);
		res.write(chunk({ content: "safe" }));
		res.write(
			'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"__proto__":{"id":"evil"},"function":{"__proto__":{"name":"evil"},"arguments":"{}"}}]},"finish_reason":null}]}\n\n',
		);
		res.write(chunk({}, "tool_calls"));
		res.end(DONE);
	},
	"noise-and-unknown-fields": (res) => {
		startEventStream(res);
		res.write(": keep-alive\n\n");
		res.write("event: message\nid: 7\nretry: 10\nnonsense: field\n");
		res.write(
			sse({
				id: "x",
				choices: [
					{
						index: 0,
						delta: { role: "assistant", content: "ok", reasoning_content: "hmm", refusal: null },
						logprobs: null,
						finish_reason: null,
					},
					{ index: 1, delta: { content: "second choice, ignored" }, finish_reason: null },
				],
				usage: null,
				system_fingerprint: "fp",
			}),
		);
		res.write(chunk({}, "stop"));
		res.write(usageChunk);
		// The last event lacks its blank line; the line itself is complete.
		res.end("data: [DONE]\n");
	},
	"tool-calls-without-index": (res) => {
		startEventStream(res);
		res.write(
			chunk({ tool_calls: [{ id: "call_a", function: { name: "alpha", arguments: "" } }] }),
		);
		res.write(chunk({ tool_calls: [{ function: { arguments: '{"x":' } }] }));
		res.write(chunk({ tool_calls: [{ function: { arguments: "1}" } }] }));
		res.write(
			chunk({ tool_calls: [{ id: "call_b", function: { name: "beta", arguments: "{}" } }] }),
		);
		res.write(chunk({}, "tool_calls"));
		res.end(DONE);
	},
	"finish-then-eof": (res) => {
		startEventStream(res);
		res.write(chunk({ content: "complete" }));
		res.end(chunk({}, "stop"));
	},
	"eof-before-finish": (res) => {
		startEventStream(res);
		res.end(chunk({ content: "half an ans" }));
	},
	"bad-json": (res) => {
		startEventStream(res);
		res.write(chunk({ content: "fine so far" }));
		res.end('data: {"choices": [{"delta": \n\n');
	},
	"wrong-types": (res) => {
		startEventStream(res);
		res.end(sse({ choices: [{ index: 0, delta: { content: 42 } }] }));
	},
	"error-event": (res) => {
		startEventStream(res);
		res.write(chunk({ content: "Hel" }));
		res.end(sse({ error: { message: "the model is overloaded", type: "server_error" } }));
	},
	"tool-call-without-id": (res) => {
		startEventStream(res);
		res.write(chunk({ tool_calls: [{ index: 0, function: { name: "alpha", arguments: "{}" } }] }));
		res.end(chunk({}, "tool_calls") + DONE);
	},
	"split-utf8": async (res) => {
		startEventStream(res);
		const bytes = Buffer.from(chunk({ content: "héllo 🌍!" }));
		const globe = bytes.indexOf(Buffer.from("🌍"));
		// Cut inside the four bytes of the emoji, and again inside "é".
		const cuts = [bytes.indexOf(Buffer.from("é")) + 1, globe + 2, bytes.length];
		let start = 0;
		for (const end of cuts) {
			res.write(bytes.subarray(start, end));
			start = end;
			await nextTurn();
		}
		res.end(chunk({}, "stop") + DONE);
	},
	"huge-error-body": (res) => {
		res.writeHead(500, { "content-type": "text/plain" });
		res.end(`upstream failure ${"e".repeat(1024 * 1024)}`);
	},
	"endless-comments": (res) => {
		startEventStream(res);
		res.end(": ping\n\n".repeat(20_000));
	},
	"html-page": (res) => {
		res.writeHead(200, { "content-type": "text/html" });
		res.end("<html><body>Welcome to the captive portal</body></html>");
	},
	"giant-event": (res) => {
		startEventStream(res);
		res.end(`data: ${"x".repeat(300_000)}`);
	},
};

const rawRoutes: Mountable = {
	async handleRequest(req: IncomingMessage, res: ServerResponse, pathname: string) {
		req.resume();
		const scenario = rawScenarios[pathname.split("/")[1] ?? ""];
		if (scenario === undefined) {
			res.writeHead(404).end();
			return true;
		}
		await scenario(res);
		return true;
	},
};

let mock: LLMock;
let url: string;

beforeAll(async () => {
	mock = new LLMock({ port: 0, chunkSize: 4 });
	mock.mount("/v1/chat/completions", observer);
	mock.mount("/raw", rawRoutes);
	url = await mock.start();
});

afterAll(async () => {
	await mock.stop();
});

function model(options: Partial<OpenAIModelOptions> = {}) {
	return openAIModel({ baseURL: `${url}/v1`, model: "test-model", ...options });
}

function rawModel(scenario: string, options: Partial<OpenAIModelOptions> = {}) {
	return model({ baseURL: `${url}/raw/${scenario}`, ...options });
}

const ask = (content: string): ChatMessage[] => [{ role: "user", content }];

/** Every event until the stream ends, and what it failed with (if it did). */
async function collect(
	stream: AsyncIterable<ModelEvent>,
): Promise<{ events: ModelEvent[]; error: unknown }> {
	const events: ModelEvent[] = [];
	try {
		for await (const event of stream) events.push(event);
		return { events, error: undefined };
	} catch (error) {
		return { events, error };
	}
}

function textOf(events: readonly ModelEvent[]): string {
	return events.map((event) => (event.type === "text" ? event.delta : "")).join("");
}

function toolCallsOf(events: readonly ModelEvent[]) {
	return events.flatMap((event) => (event.type === "tool_call" ? [event.call] : []));
}

function expectModelError(error: unknown, code: ModelError["code"]): ModelError {
	expect(error).toBeInstanceOf(ModelError);
	const modelError = error as ModelError;
	expect(modelError.group).toBe("agent");
	expect(modelError.code).toBe(code);
	return modelError;
}

/** Polls a condition (it changes on the server's side, outside this test's control). */
async function until(condition: () => boolean, what: string): Promise<void> {
	const deadline = Date.now() + 5_000;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	await new Promise<void>((resolve) => server.close(() => resolve()));
	if (address === null || typeof address === "string") throw new Error("no port");
	return address.port;
}

const LONG_TEXT = "Streaming keeps the user company while the model thinks. ".repeat(40);

describe("openAIModel: streaming", () => {
	it("delivers text as several deltas, in order, then done with the usage", async () => {
		const content = "The quick brown fox jumps over the lazy dog, twice over.";
		mock.onMessage("tell me about the fox", { content });

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
		mock.onMessage("what did the lookup say", { content: "It said 42." });
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
		const request = mock.getLastRequest();
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
		mock.onMessage("weather in paris", {
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
		mock.onMessage("plan the trip", {
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

describe("openAIModel: failures", () => {
	it("turns an HTTP 500 into model_http_error with the status and the server's message", async () => {
		mock.onMessage("break the server", {
			error: { message: "upstream exploded", type: "server_error" },
			status: 500,
		});

		const { events, error } = await collect(model().stream({ messages: ask("break the server") }));

		expect(events).toEqual([]);
		const modelError = expectModelError(error, "model_http_error");
		expect(modelError.metadata).toEqual({ status: 500 });
		expect(modelError.message).toContain("upstream exploded");
	});

	it("turns a one-off 429 into model_http_error with status 429", async () => {
		mock.nextRequestError(429, { message: "slow down", type: "rate_limit_error" });

		const { error } = await collect(model().stream({ messages: ask("anything") }));

		const modelError = expectModelError(error, "model_http_error");
		expect(modelError.metadata).toEqual({ status: 429 });
		expect(modelError.message).toContain("slow down");
	});

	it("reads at most 4 KiB of an error body", async () => {
		const { error } = await collect(rawModel("huge-error-body").stream({ messages: ask("go") }));

		const modelError = expectModelError(error, "model_http_error");
		expect(modelError.metadata).toEqual({ status: 500 });
		expect(modelError.message).toContain("upstream failure");
		expect(modelError.message.length).toBeLessThan(1_000);
	});

	it("reports an unreachable server as model_http_error with status 0", async () => {
		const port = await closedPort();

		const { error } = await collect(
			model({ baseURL: `http://127.0.0.1:${port}/v1` }).stream({ messages: ask("hello?") }),
		);

		const modelError = expectModelError(error, "model_http_error");
		expect(modelError.metadata).toEqual({ status: 0 });
	});

	it("turns a connection cut mid-stream into model_stream_cut, after the text that did arrive", async () => {
		// The latency spaces the chunks, so the client holds the answer's head
		// before the connection goes (cut in one burst, fetch itself fails).
		mock.onMessage("cut me off", { content: LONG_TEXT }, { truncateAfterChunks: 5, latency: 10 });

		const { events, error } = await collect(model().stream({ messages: ask("cut me off") }));

		expectModelError(error, "model_stream_cut");
		expect(events.length).toBeGreaterThan(0);
		expect(events.every((event) => event.type === "text")).toBe(true);
		expect(LONG_TEXT.startsWith(textOf(events))).toBe(true);
	});

	it("turns a clean end before finish_reason and [DONE] into model_stream_cut", async () => {
		const { events, error } = await collect(
			rawModel("eof-before-finish").stream({ messages: ask("go") }),
		);

		expectModelError(error, "model_stream_cut");
		expect(textOf(events)).toBe("half an ans");
	});

	it("turns malformed JSON inside an event into model_bad_stream", async () => {
		const { events, error } = await collect(rawModel("bad-json").stream({ messages: ask("go") }));

		expectModelError(error, "model_bad_stream");
		expect(textOf(events)).toBe("fine so far");
	});

	it("turns a malformed (non-SSE) answer from aimock's chaos into model_bad_stream", async () => {
		mock.onMessage("be chaotic", { content: "never sent" }, { chaos: { malformedRate: 1 } });

		const { events, error } = await collect(model().stream({ messages: ask("be chaotic") }));

		expect(events).toEqual([]);
		expectModelError(error, "model_bad_stream");
	});

	it("refuses a 200 answer that is not an event stream", async () => {
		const { error } = await collect(rawModel("html-page").stream({ messages: ask("go") }));

		expectModelError(error, "model_bad_stream");
	});

	it("refuses fields of the wrong type", async () => {
		const { error } = await collect(rawModel("wrong-types").stream({ messages: ask("go") }));

		expectModelError(error, "model_bad_stream");
	});

	it("refuses a tool call without an id", async () => {
		const { events, error } = await collect(
			rawModel("tool-call-without-id").stream({ messages: ask("go") }),
		);

		expectModelError(error, "model_bad_stream");
		expect(toolCallsOf(events)).toEqual([]);
	});

	it("reports an error event sent mid-stream as model_bad_stream with its message", async () => {
		const { error } = await collect(rawModel("error-event").stream({ messages: ask("go") }));

		const modelError = expectModelError(error, "model_bad_stream");
		expect(modelError.message).toContain("the model is overloaded");
	});
});

describe("openAIModel: limits", () => {
	it("fails with model_output_too_large once the text exceeds maxOutputBytes", async () => {
		mock.onMessage("say a lot", { content: "y".repeat(1_000) }, { chunkSize: 10 });

		const { events, error } = await collect(
			model({ maxOutputBytes: 100, headers: { "x-test-case": "text-cap" } }).stream({
				messages: ask("say a lot"),
			}),
		);

		const modelError = expectModelError(error, "model_output_too_large");
		expect(modelError.metadata).toEqual({ limit: 100 });
		expect(new TextEncoder().encode(textOf(events)).byteLength).toBeLessThanOrEqual(100);
		expect(events.some((event) => event.type === "done")).toBe(false);
	});

	it("counts tool call arguments against maxOutputBytes", async () => {
		mock.onMessage("call with big arguments", {
			toolCalls: [{ name: "save", arguments: JSON.stringify({ blob: "z".repeat(2_000) }) }],
		});

		const { events, error } = await collect(
			model({ maxOutputBytes: 500 }).stream({ messages: ask("call with big arguments") }),
		);

		expectModelError(error, "model_output_too_large");
		expect(toolCallsOf(events)).toEqual([]);
	});

	it("counts multi-byte characters by their UTF-8 size", async () => {
		mock.onMessage("speak emoji", { content: "🌍".repeat(30) });

		const { error } = await collect(
			model({ maxOutputBytes: 100 }).stream({ messages: ask("speak emoji") }),
		);

		// 30 characters, but 120 bytes.
		expectModelError(error, "model_output_too_large");
	});

	it("caps the bytes of the whole stream, framing included", async () => {
		const { error } = await collect(
			rawModel("endless-comments", { maxStreamBytes: 10_000 }).stream({ messages: ask("go") }),
		);

		const modelError = expectModelError(error, "model_output_too_large");
		expect(modelError.metadata).toEqual({ limit: 10_000 });
	});

	it("refuses a single event far larger than the output budget", async () => {
		const { error } = await collect(
			rawModel("giant-event", { maxOutputBytes: 1_000 }).stream({ messages: ask("go") }),
		);

		expectModelError(error, "model_output_too_large");
	});

	it("fails with model_timeout when the whole request takes longer than timeoutMs", async () => {
		mock.onMessage("take your time", { content: LONG_TEXT }, { latency: 20 });

		const { events, error } = await collect(
			model({ timeoutMs: 300, headers: { "x-test-case": "timeout" } }).stream({
				messages: ask("take your time"),
			}),
		);

		const modelError = expectModelError(error, "model_timeout");
		expect(modelError.metadata).toEqual({ timeoutMs: 300 });
		expect(textOf(events).length).toBeLessThan(LONG_TEXT.length);
		await until(
			() => serverViews.get("timeout")?.closedEarly === true,
			"the server to see the request end",
		);
	});
});

describe("openAIModel: stopping", () => {
	// ~590 chunks of 4 characters, 20 ms apart: about 12 s if nobody stops it.
	const slowOptions = { latency: 20 };

	it("stops quickly when the signal aborts mid-stream, rejecting with the signal's reason", async () => {
		mock.onMessage("stream slowly for the abort", { content: LONG_TEXT }, slowOptions);
		const controller = new AbortController();
		const events: ModelEvent[] = [];
		let abortedAt = 0;

		const iteration = (async () => {
			for await (const event of model({ headers: { "x-test-case": "abort" } }).stream({
				messages: ask("stream slowly for the abort"),
				signal: controller.signal,
			})) {
				events.push(event);
				if (events.length === 2) {
					abortedAt = Date.now();
					controller.abort();
				}
			}
		})();

		const error = await iteration.then(
			() => undefined,
			(reason: unknown) => reason,
		);
		expect(error).toBe(controller.signal.reason);
		expect((error as Error).name).toBe("AbortError");
		expect(error).not.toBeInstanceOf(ModelError);
		expect(Date.now() - abortedAt).toBeLessThan(1_000);
		expect(events).toHaveLength(2);
		await until(
			() => serverViews.get("abort")?.closedEarly === true,
			"the server to see the abort",
		);
	});

	it("rejects with a custom abort reason as given", async () => {
		mock.onMessage("stream slowly for a reason", { content: LONG_TEXT }, slowOptions);
		const controller = new AbortController();
		const reason = new Error("the user closed the tab");

		const { events, error } = await collect(
			(async function* () {
				for await (const event of model().stream({
					messages: ask("stream slowly for a reason"),
					signal: controller.signal,
				})) {
					controller.abort(reason);
					yield event;
				}
			})(),
		);

		expect(error).toBe(reason);
		expect(events).toHaveLength(1);
	});

	it("does not send a request when the signal is already aborted", async () => {
		mock.clearRequests();
		const controller = new AbortController();
		controller.abort();

		const { error } = await collect(
			model().stream({ messages: ask("never sent"), signal: controller.signal }),
		);

		expect((error as Error).name).toBe("AbortError");
		expect(mock.getRequests()).toEqual([]);
	});

	it("aborts the request when the consumer breaks out of the loop", async () => {
		mock.onMessage("stream slowly for the break", { content: LONG_TEXT }, slowOptions);
		const received: string[] = [];

		for await (const event of model({ headers: { "x-test-case": "break" } }).stream({
			messages: ask("stream slowly for the break"),
		})) {
			if (event.type === "text") received.push(event.delta);
			if (received.length === 3) break;
		}

		expect(received).toHaveLength(3);
		// The server sees its response torn down long before the ~12 s it would take.
		await until(
			() => serverViews.get("break")?.closedEarly === true,
			"the server to see the break",
		);
	});

	it("sends no request when the consumer never starts iterating", async () => {
		mock.clearRequests();
		const stream = model().stream({ messages: ask("never iterated") });

		await stream[Symbol.asyncIterator]().return?.();

		expect(mock.getRequests()).toEqual([]);
	});
});

describe("openAIModel: options", () => {
	it("refuses options that cannot work, at creation", () => {
		expect(() => openAIModel({ baseURL: "not a url", model: "m" })).toThrow(/baseURL/);
		expect(() => openAIModel({ baseURL: url, model: "" })).toThrow(/model/);
		expect(() => openAIModel({ baseURL: url, model: "m", maxOutputBytes: 0 })).toThrow(
			/maxOutputBytes/,
		);
		expect(() => openAIModel({ baseURL: url, model: "m", timeoutMs: -1 })).toThrow(/timeoutMs/);
	});

	it("refuses a tool message without toolCallId", async () => {
		const { error } = await collect(
			model().stream({ messages: [{ role: "tool", content: "{}" }] }),
		);

		expect(error).toBeInstanceOf(TypeError);
	});
});
