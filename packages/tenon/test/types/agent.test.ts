// Types flow from agentActor to clients: the connection's actions (prompt,
// stop, confirm, history, live), its events (token, message, turn), its shared
// state, and useAgentChat takes the connection useActor gives.
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
	type AgentMessage,
	type AgentSharedState,
	type AgentToken,
	agentActor,
	type ChatModel,
	defineTool,
} from "../../src/agent/index.js";
import { createClient } from "../../src/client/index.js";
import { setup } from "../../src/index.js";
import { createTenonReact, useAgentChat } from "../../src/react/index.js";

const model: ChatModel = { stream: async function* () {} };

const lookup = defineTool({
	name: "lookup",
	description: "Looks an order up",
	input: z.object({ orderId: z.string() }).strict(),
	execute: (input, context) => {
		expectTypeOf(input).toEqualTypeOf<{ orderId: string }>();
		expectTypeOf(context.requester.id).toEqualTypeOf<string>();
		return { found: true };
	},
});

const assistant = agentActor({
	model,
	tools: [lookup],
	createConnState: (_c, params: { token: string }) => ({ userId: params.token.slice(0, 8) }),
	identify: (conn) => {
		expectTypeOf(conn.state).toEqualTypeOf<{ userId: string }>();
		return { id: conn.state.userId };
	},
	admitPrompt: (c, requester) => {
		expectTypeOf(requester.id).toEqualTypeOf<string>();
		expectTypeOf(c.conn.state).toEqualTypeOf<{ userId: string }>();
	},
	onBeforeConnect: (c) => {
		expectTypeOf(c.resuming).toEqualTypeOf<
			{ readonly id: string; readonly state: unknown } | undefined
		>();
	},
});
const registry = setup({ use: { assistant } });

describe("tenon/agent types", () => {
	it("types the agent's actions, events and shared state on the client", () => {
		const client = createClient<typeof registry>("http://localhost:6420");
		const conn = client.assistant.getOrCreate(["c1"], { params: { token: "t" } }).connect();
		expectTypeOf(conn.prompt).parameters.toEqualTypeOf<[text: string]>();
		expectTypeOf(conn.prompt).returns.resolves.toEqualTypeOf<{
			turnId: string;
			messageId: string;
		}>();
		expectTypeOf(conn.confirm).parameters.toEqualTypeOf<[callId: string, approve: boolean]>();
		expectTypeOf(conn.history).returns.resolves.toEqualTypeOf<AgentMessage[]>();
		expectTypeOf(conn.regenerate).parameters.toEqualTypeOf<[]>();
		expectTypeOf(conn.regenerate).returns.resolves.toEqualTypeOf<{ turnId: string }>();
		conn.on("token", (token) => expectTypeOf(token).toEqualTypeOf<AgentToken>());
		conn.on("message", (message) => expectTypeOf(message).toEqualTypeOf<AgentMessage>());
		expectTypeOf(conn.sharedState).toEqualTypeOf<AgentSharedState | undefined>();
		// @ts-expect-error: the connection params are typed
		client.assistant.getOrCreate(["c1"], { params: { token: 1 } });
	});

	it("useAgentChat takes the connection useActor gives", () => {
		const client = createClient<typeof registry>("http://localhost:6420");
		const { useActor } = createTenonReact(client);
		const use = () => {
			const { connection } = useActor({ name: "assistant", key: ["c1"], params: { token: "t" } });
			const chat = useAgentChat(connection);
			expectTypeOf(chat.messages).toEqualTypeOf<readonly AgentMessage[]>();
			expectTypeOf(chat.send).parameters.toEqualTypeOf<[text: string]>();
			expectTypeOf(chat.regenerate).returns.resolves.toEqualTypeOf<{ turnId: string }>();
			return chat;
		};
		expectTypeOf(use).returns.toHaveProperty("pending");
	});

	it("an agent written inline in a registry keeps its conn state and params typed", () => {
		const inline = setup({
			use: {
				helper: agentActor({
					model,
					createConnState: (_c, params: { token: string }) => ({ userId: params.token }),
					identify: (conn) => {
						expectTypeOf(conn.state).toEqualTypeOf<{ userId: string }>();
						return { id: conn.state.userId };
					},
				}),
			},
		});
		const client = createClient<typeof inline>("http://localhost:6420");
		// @ts-expect-error: the connection params are typed
		client.helper.getOrCreate(["c1"], { params: { token: 1 } });
	});

	it("types an agent's own actions beside its own, inline in a registry too", () => {
		const withOwn = setup({
			use: {
				notes: agentActor({
					model,
					createConnState: (_c, params: { token: string }) => ({ userId: params.token }),
					identify: (conn) => ({ id: conn.state.userId }),
					actions: {
						summary: async (c, words: number) => {
							expectTypeOf(c.conn.state).toEqualTypeOf<{ userId: string }>();
							return { words, by: c.conn.state.userId };
						},
					},
				}),
			},
		});
		const client = createClient<typeof withOwn>("http://localhost:6420");
		const conn = client.notes.getOrCreate(["c1"], { params: { token: "t" } }).connect();
		expectTypeOf(conn.summary).parameters.toEqualTypeOf<[words: number]>();
		expectTypeOf(conn.summary).returns.resolves.toEqualTypeOf<{ words: number; by: string }>();
		expectTypeOf(conn.prompt).parameters.toEqualTypeOf<[text: string]>();
		// useAgentChat takes it (it refused an agent with actions of its own: a walkthrough).
		const { useActor } = createTenonReact(client);
		const use = () => {
			const { connection } = useActor({ name: "notes", key: ["c1"], params: { token: "t" } });
			return useAgentChat(connection);
		};
		expectTypeOf(use).returns.toHaveProperty("pending");
		// @ts-expect-error: its arguments are typed
		conn.summary("many");
		expect(() =>
			agentActor({
				model,
				identify: () => null,
				// @ts-expect-error: the agent's own action names are taken
				actions: { prompt: (_c, n: number) => n },
			}),
		).toThrow(/the agent's own/);
		// An agent without actions of its own has none more.
		const plain = createClient<typeof registry>("http://localhost:6420");
		// @ts-expect-error: no such action
		void plain.assistant.getOrCreate(["c1"], { params: { token: "t" } }).summary;
	});
});
