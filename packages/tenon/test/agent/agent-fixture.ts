// The agent actor's test fixture: a real mock LLM server (aimock,
// OpenAI-compatible streams from fixtures), two tools that record who they
// ran for, agents built on them, and a watcher of what one connection saw.
import { LLMock } from "@copilotkit/aimock";
import { afterAll, beforeAll, expect } from "vitest";
import { z } from "zod";
import {
	type AgentMessage,
	type AgentTurnUpdate,
	agentActor,
	defineTool,
	openAIModel,
} from "../../src/agent/index.js";
import { setup } from "../../src/index.js";
import type { setupTest } from "../../src/test/index.js";

export let mock: LLMock;
let baseURL: string;

/** Starts the mock LLM server for the test file that calls it (and stops it after). */
export function startMockLlmForFile(): void {
	beforeAll(async () => {
		mock = new LLMock({ port: 0, chunkSize: 4 });
		baseURL = `${await mock.start()}/v1`;
	});
	afterAll(async () => {
		await mock.stop();
	});
}

export const FOX =
	"The quick brown fox jumps over the lazy dog, then naps in the warm afternoon sun.";

/** What tools saw: who asked, with which input. */
export const toolCalls: { tool: string; requester: string; input: unknown }[] = [];

const whoami = defineTool({
	name: "whoami",
	description: "Says who asked",
	input: z.object({}).strict(),
	execute: (_input, { requester }) => {
		toolCalls.push({ tool: "whoami", requester: requester.id, input: _input });
		return { user: requester.id };
	},
});

const refund = defineTool({
	name: "refund_order",
	description: "Refunds an order of the signed-in user",
	input: z.object({ orderId: z.string().max(20) }).strict(),
	risk: "high",
	execute: ({ orderId }, { requester }) => {
		toolCalls.push({ tool: "refund_order", requester: requester.id, input: { orderId } });
		return { refunded: orderId, apiKey: "sk-live-abcdefghijklmnopqrstuvwxyz" };
	},
});

function agent(
	options: {
		modelRetries?: number;
		confirmTimeoutMs?: number;
		rateLimit?: { prompts: number; windowMs: number };
	} = {},
) {
	return agentActor({
		// The mock's address is known once it started: a model made per call.
		model: {
			stream: (request) =>
				openAIModel({ baseURL, model: "mock-model", timeoutMs: 10_000 }).stream(request),
		},
		system: "You are a test agent.",
		tools: [whoami, refund],
		// The user comes from the connection's state (a real app verifies a token here).
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => (conn.state.user === "" ? null : { id: conn.state.user }),
		modelRetries: options.modelRetries ?? 0,
		...(options.confirmTimeoutMs === undefined
			? {}
			: { confirmTimeoutMs: options.confirmTimeoutMs }),
		...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
		redact: { secrets: ["hunter2-the-password"] },
	});
}

/** Reads the inspector's views (a queue's messages). */
export const INSPECTOR_TOKEN = "agent-fixture-inspector-token-0123456789";

export const registry = setup({
	use: {
		assistant: agent(),
		impatient: agent({ confirmTimeoutMs: 400 }),
		limited: agent({ rateLimit: { prompts: 2, windowMs: 60_000 } }),
	},
	logLevel: "silent",
	inspector: { token: INSPECTOR_TOKEN },
});

export type Conn = ReturnType<
	ReturnType<
		Awaited<ReturnType<typeof setupTest<typeof registry>>>["client"]["assistant"]["getOrCreate"]
	>["connect"]
>;

/** Everything one connection saw: the texts it rebuilt from tokens, turns, messages. */
export function watch(conn: Conn) {
	const texts = new Map<string, string>();
	const gaps: string[] = [];
	const turns: AgentTurnUpdate[] = [];
	const messages: AgentMessage[] = [];
	conn.on("messageStart", ({ messageId }) => texts.set(messageId, ""));
	conn.on("token", ({ messageId, offset, text }) => {
		const known = texts.get(messageId) ?? "";
		if (offset !== known.length) gaps.push(`${messageId}@${offset} after ${known.length}`);
		texts.set(messageId, known.slice(0, offset) + text);
	});
	conn.on("turn", (update) => turns.push(update));
	conn.on("message", (message) => messages.push(message));
	// Shared state (the turn, a pending confirmation) comes once subscribed.
	conn.onSharedState(() => {});
	const ended = (turnId: string) =>
		expect
			.poll(
				() =>
					turns.find((t) => t.turnId === turnId && ["done", "stopped", "failed"].includes(t.status))
						?.status,
				{
					timeout: 10_000,
				},
			)
			.toBeDefined();
	return { texts, gaps, turns, messages, ended };
}
