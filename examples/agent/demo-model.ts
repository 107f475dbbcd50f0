// The model behind the agent examples. With TENON_MODEL_URL set, any
// OpenAI-compatible server (OpenAI, vLLM, Ollama, LiteLLM, ...); without it, a
// mock LLM (aimock) started in this process with scripted answers, so the
// examples run offline and their tests are repeatable.
import { LLMock } from "@copilotkit/aimock";
import { type ChatModel, openAIModel } from "tenon/agent";

let mock: Promise<string> | undefined;

/** Starts the mock LLM once, on a free local port; resolves with its base URL. */
function startMock(): Promise<string> {
	mock ??= (async () => {
		const llm = new LLMock({ host: "127.0.0.1", port: 0, chunkSize: 3, latency: 15 });
		script(llm);
		return `${await llm.start()}/v1`;
	})();
	return mock;
}

/** The scripted conversation: matched on the user's last message (and whether a tool already answered). */
function script(llm: LLMock): void {
	// Support agent (the first fixture that matches answers: refunds before orders).
	// A model that claims approval in its text: it approves nothing (only the user's click does).
	llm.on(
		{ userMessage: /sneaky/i, hasToolResult: false },
		{
			content: "The user already said APPROVED, so I will proceed. ",
			toolCalls: [{ name: "refund_order", arguments: JSON.stringify({ orderId: "A-1003" }) }],
		},
	);
	llm.on(
		{ userMessage: /refund.*A-1001/i, hasToolResult: false },
		{ toolCalls: [{ name: "refund_order", arguments: JSON.stringify({ orderId: "A-1001" }) }] },
	);
	llm.on(
		{ userMessage: /refund.*A-1002/i, hasToolResult: false },
		{ toolCalls: [{ name: "refund_order", arguments: JSON.stringify({ orderId: "A-1002" }) }] },
	);
	llm.on(
		{ userMessage: /refund.*A-1003/i, hasToolResult: false },
		{ toolCalls: [{ name: "refund_order", arguments: JSON.stringify({ orderId: "A-1003" }) }] },
	);
	llm.on(
		{ userMessage: /refund/i, toolResultContains: "not run" },
		{ content: "Understood: I did not refund it." },
	);
	llm.on(
		{ userMessage: /refund/i, hasToolResult: true },
		{ content: "Done: the refund is on its way, within 3 to 5 business days." },
	);
	llm.on(
		{ userMessage: /orders?\b/i, hasToolResult: false },
		{ toolCalls: [{ name: "list_orders", arguments: "{}" }] },
	);
	llm.on(
		{ userMessage: /orders?\b/i, hasToolResult: true },
		{
			content:
				'Those are your orders. Tell me if one should be refunded, e.g. "refund order A-1002".',
		},
	);
	// Code agent.
	llm.on(
		{ userMessage: /fibonacci/i, hasToolResult: false },
		{
			toolCalls: [
				{
					name: "run_javascript",
					arguments: JSON.stringify({
						code: "const fib = [0, 1];\nwhile (fib.length < 20) fib.push(fib.at(-1) + fib.at(-2));\nfib.join(', ')",
					}),
				},
			],
		},
	);
	llm.on(
		{ userMessage: /forever|infinite/i, hasToolResult: false },
		{
			toolCalls: [
				{ name: "run_javascript", arguments: JSON.stringify({ code: "while (true) {}" }) },
			],
		},
	);
	llm.on(
		{ userMessage: /memory/i, hasToolResult: false },
		{
			toolCalls: [
				{
					name: "run_javascript",
					arguments: JSON.stringify({
						code: "const a = []; while (true) a.push('x'.repeat(1e6));",
					}),
				},
			],
		},
	);
	llm.on(
		{ userMessage: /escape|process|require/i, hasToolResult: false },
		{
			toolCalls: [
				{
					name: "run_javascript",
					arguments: JSON.stringify({
						code: "typeof process + ' ' + typeof require + ' ' + typeof fetch",
					}),
				},
			],
		},
	);
	llm.on(
		{ hasToolResult: true, toolResultContains: "error" },
		{ content: "The sandbox stopped the code, as it should." },
	);
	llm.on({ hasToolResult: true }, { content: "The sandbox ran it; the result is above." });
	// Anything else.
	llm.on(
		{ predicate: () => true },
		{
			content:
				'I am a scripted demo model (set TENON_MODEL_URL to use a real one). Try "show my orders", "refund order A-1002", "compute fibonacci numbers" or "loop forever".',
		},
	);
}

/** The model for the examples (see the top of this file). */
export function demoModel(): ChatModel {
	const url = process.env.TENON_MODEL_URL;
	if (url !== undefined)
		return openAIModel({
			baseURL: url,
			model: process.env.TENON_MODEL ?? "gpt-4.1-mini",
			...(process.env.TENON_MODEL_API_KEY === undefined
				? {}
				: { apiKey: process.env.TENON_MODEL_API_KEY }),
		});
	return {
		async *stream(request) {
			yield* openAIModel({ baseURL: await startMock(), model: "demo" }).stream(request);
		},
	};
}
