// openAIModel against a real mock LLM server: failures, limits and stopping.
import { describe, expect, it } from "vitest";
import { ModelError, type ModelEvent } from "../../src/agent/model.js";
import {
	ask,
	closedPort,
	collect,
	expectModelError,
	LONG_TEXT,
	mockLlm,
	model,
	rawModel,
	serverViews,
	startMockLlmForFile,
	textOf,
	toolCallsOf,
	until,
} from "./openai-mock-llm.js";

startMockLlmForFile();

describe("openAIModel: failures", () => {
	it("turns an HTTP 500 into model_http_error with the status and the server's message", async () => {
		mockLlm().onMessage("break the server", {
			error: { message: "upstream exploded", type: "server_error" },
			status: 500,
		});

		const { events, error } = await collect(model().stream({ messages: ask("break the server") }));

		expect(events).toEqual([]);
		const modelError = expectModelError(error, "model_http_error");
		expect(modelError.metadata).toEqual({ status: 500 });
		expect(modelError.message).toContain("upstream exploded");
	});

	it("keeps a finished answer when the server then keeps the stream open without [DONE]", async () => {
		for (const scenario of ["finish-then-silence", "finish-then-keepalive"]) {
			const started = performance.now();
			const { events, error } = await collect(
				rawModel(scenario, { timeoutMs: 20_000 }).stream({ messages: ask("go") }),
			);
			expect(error, scenario).toBeUndefined();
			expect(textOf(events)).toBe("complete");
			expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "stop" });
			// A short wait for a usage chunk, not the request's whole timeout (then a failure).
			expect(performance.now() - started, scenario).toBeLessThan(5_000);
		}
	});

	it("turns a one-off 429 into model_http_error with status 429", async () => {
		mockLlm().nextRequestError(429, { message: "slow down", type: "rate_limit_error" });

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

	// An attacker probe (2026-11-28): the error body was read with no deadline of its own, so
	// the request's timeout (120 s by default, then retries) ended it as model_timeout, the
	// status lost.
	it("keeps the status of an error answer whose body stalls, without waiting out the timeout", async () => {
		const started = performance.now();
		const { error } = await collect(
			rawModel("stalled-error-body", { timeoutMs: 30_000 }).stream({ messages: ask("go") }),
		);
		const modelError = expectModelError(error, "model_http_error");
		expect(modelError.metadata).toEqual({ status: 500 });
		expect(modelError.message).toContain("upstream stalled");
		expect(performance.now() - started).toBeLessThan(5_000);
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
		mockLlm().onMessage(
			"cut me off",
			{ content: LONG_TEXT },
			{ truncateAfterChunks: 5, latency: 10 },
		);

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
		mockLlm().onMessage("be chaotic", { content: "never sent" }, { chaos: { malformedRate: 1 } });

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
		mockLlm().onMessage("say a lot", { content: "y".repeat(1_000) }, { chunkSize: 10 });

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
		mockLlm().onMessage("call with big arguments", {
			toolCalls: [{ name: "save", arguments: JSON.stringify({ blob: "z".repeat(2_000) }) }],
		});

		const { events, error } = await collect(
			model({ maxOutputBytes: 500 }).stream({ messages: ask("call with big arguments") }),
		);

		expectModelError(error, "model_output_too_large");
		expect(toolCallsOf(events)).toEqual([]);
	});

	it("counts multi-byte characters by their UTF-8 size", async () => {
		mockLlm().onMessage("speak emoji", { content: "🌍".repeat(30) });

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
		mockLlm().onMessage("take your time", { content: LONG_TEXT }, { latency: 20 });

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
		mockLlm().onMessage("stream slowly for the abort", { content: LONG_TEXT }, slowOptions);
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
		mockLlm().onMessage("stream slowly for a reason", { content: LONG_TEXT }, slowOptions);
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
		mockLlm().clearRequests();
		const controller = new AbortController();
		controller.abort();

		const { error } = await collect(
			model().stream({ messages: ask("never sent"), signal: controller.signal }),
		);

		expect((error as Error).name).toBe("AbortError");
		expect(mockLlm().getRequests()).toEqual([]);
	});

	it("aborts the request when the consumer breaks out of the loop", async () => {
		mockLlm().onMessage("stream slowly for the break", { content: LONG_TEXT }, slowOptions);
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
		mockLlm().clearRequests();
		const stream = model().stream({ messages: ask("never iterated") });

		await stream[Symbol.asyncIterator]().return?.();

		expect(mockLlm().getRequests()).toEqual([]);
	});
});
