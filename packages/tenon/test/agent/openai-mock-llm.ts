import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:net";
import { LLMock, type Mountable } from "@copilotkit/aimock";
import { afterAll, beforeAll, expect } from "vitest";
import { type ChatMessage, ModelError, type ModelEvent } from "../../src/agent/model.js";
import { type OpenAIModelOptions, openAIModel } from "../../src/agent/openai-model.js";

// The tests of openAIModel share one real mock LLM server (aimock) per file. Two mounts sit in front of
// its OpenAI routes: an observer that records, per `x-test-case` header, the
// Authorization header and whether the server saw its response torn down
// before the end; and `/raw/*`, which answers with hand-written bytes for the
// hostile cases aimock cannot produce (bad JSON inside an event, `__proto__`
// keys, missing fields, ...).

/** What the server saw of one request's response. */
export interface ServerView {
	/** The request's Authorization header (aimock's journal redacts it). */
	authorization?: string;
	/** Set when the response closed: true if that was before it was complete. */
	closedEarly?: boolean;
}
export const serverViews = new Map<string, ServerView>();

export const observer: Mountable = {
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

export const sse = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
export const chunk = (delta: object, finishReason: string | null = null): string =>
	sse({
		id: "chatcmpl-raw",
		object: "chat.completion.chunk",
		choices: [{ index: 0, delta, finish_reason: finishReason }],
	});
export const usageChunk = sse({
	id: "chatcmpl-raw",
	choices: [],
	usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
});
export const DONE = "data: [DONE]\n\n";

export function startEventStream(res: ServerResponse): void {
	res.writeHead(200, { "content-type": "text/event-stream" });
}

/** Lets the previous write leave the process before the next one. */
export const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

export const rawScenarios: Record<string, (res: ServerResponse) => Promise<void> | void> = {
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
	// A complete answer, then the connection stays open: no usage chunk, no [DONE].
	"finish-then-silence": (res) => {
		startEventStream(res);
		res.write(chunk({ content: "complete" }));
		res.write(chunk({}, "stop"));
	},
	// The same, with keep-alive comments every half second (they must not keep it open).
	"finish-then-keepalive": (res) => {
		startEventStream(res);
		res.write(chunk({ content: "complete" }));
		res.write(chunk({}, "stop"));
		const ping = setInterval(() => res.write(": keep-alive\n\n"), 500);
		res.on("close", () => clearInterval(ping));
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
	// An error answer whose body stops after its first bytes and never ends.
	"stalled-error-body": (res) => {
		res.writeHead(500, { "content-type": "text/plain" });
		res.write(`upstream stalled ${"e".repeat(1_000)}`);
	},
	// 150 tool calls in one answer (between the agent's default limit of 128 and openAIModel's).
	"many-tool-calls": (res) => {
		startEventStream(res);
		for (let index = 0; index < 150; index++)
			res.write(
				chunk({
					tool_calls: [
						{ index, id: `call_${index}`, function: { name: "alpha", arguments: "{}" } },
					],
				}),
			);
		res.end(chunk({}, "tool_calls") + DONE);
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

export const rawRoutes: Mountable = {
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

/** Starts the mock LLM server before the calling file's tests and stops it after. */
export function startMockLlmForFile(): void {
	beforeAll(async () => {
		mock = new LLMock({ port: 0, chunkSize: 4 });
		mock.mount("/v1/chat/completions", observer);
		mock.mount("/raw", rawRoutes);
		url = await mock.start();
	});
	afterAll(async () => {
		await mock.stop();
	});
}

/** The running mock LLM server (aimock), for fixtures and its journal. */
export function mockLlm(): LLMock {
	return mock;
}

/** The base URL of the running mock LLM server. */
export function mockLlmUrl(): string {
	return url;
}

export function model(options: Partial<OpenAIModelOptions> = {}) {
	return openAIModel({ baseURL: `${url}/v1`, model: "test-model", ...options });
}

export function rawModel(scenario: string, options: Partial<OpenAIModelOptions> = {}) {
	return model({ baseURL: `${url}/raw/${scenario}`, ...options });
}

export const ask = (content: string): ChatMessage[] => [{ role: "user", content }];

/** Every event until the stream ends, and what it failed with (if it did). */
export async function collect(
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

export function textOf(events: readonly ModelEvent[]): string {
	return events.map((event) => (event.type === "text" ? event.delta : "")).join("");
}

export function toolCallsOf(events: readonly ModelEvent[]) {
	return events.flatMap((event) => (event.type === "tool_call" ? [event.call] : []));
}

export function expectModelError(error: unknown, code: ModelError["code"]): ModelError {
	expect(error).toBeInstanceOf(ModelError);
	const modelError = error as ModelError;
	expect(modelError.group).toBe("agent");
	expect(modelError.code).toBe(code);
	return modelError;
}

/** Polls a condition (it changes on the server's side, outside this test's control). */
export async function until(condition: () => boolean, what: string): Promise<void> {
	const deadline = Date.now() + 5_000;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	await new Promise<void>((resolve) => server.close(() => resolve()));
	if (address === null || typeof address === "string") throw new Error("no port");
	return address.port;
}

export const LONG_TEXT = "Streaming keeps the user company while the model thinks. ".repeat(40);
