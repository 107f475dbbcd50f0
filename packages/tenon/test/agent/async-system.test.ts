// `system` may be async: context read for each turn (an account's plan, a
// ticket's history), as the Agents SDK's `onChatMessage` adds it. It was
// synchronous only: an async function was a type error (a walkthrough,
// 2026-11-28), and untyped it reached the model as "[object Promise]".
import { expect, it } from "vitest";
import { agentActor } from "../../src/agent/index.js";
import { annTalksTo, says, scripted } from "./scripted-model.js";

it("an async system prompt reaches the model, awaited, for the user of the turn", async () => {
	const model = scripted(() => says("hello"));
	const agent = agentActor({
		model,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
		system: async (requester) => {
			await new Promise((resolve) => setTimeout(resolve, 5));
			return `You help ${requester.id}, on the gold plan.`;
		},
	});
	await using chat = await annTalksTo(agent);
	const { turnId } = await chat.conn.prompt("hi");
	expect((await chat.turns.ended(turnId)).status).toBe("done");
	expect(model.requests[0]?.messages[0]).toEqual({
		role: "system",
		content: "You help ann, on the gold plan.",
	});
});
