// A scripted chat model and a turn watcher, shared by the tests that play a
// hostile or leaky model against a real agent actor.
import { expect } from "vitest";
import type { AgentTurnUpdate, ChatModel, ModelEvent } from "../../src/agent/index.js";

/** A model that answers every request with `answer(requestNumber)`, counting its calls. */
export function scripted(answer: (call: number) => ModelEvent[] | Error) {
	const model = {
		calls: 0,
		requests: [] as Parameters<ChatModel["stream"]>[0][],
		stream(request: Parameters<ChatModel["stream"]>[0]): AsyncIterable<ModelEvent> {
			model.requests.push(request);
			const events = answer(++model.calls);
			return (async function* () {
				if (events instanceof Error) throw events;
				for (const event of events) yield event;
			})();
		},
	};
	return model satisfies ChatModel;
}

export const toolCall = (id: string, name: string, args: string): ModelEvent => ({
	type: "tool_call",
	call: { id, name, arguments: args },
});
export const toolCallsDone: ModelEvent = { type: "done", finishReason: "tool_calls" };
/** An answer of plain text. */
export const says = (text: string): ModelEvent[] => [
	{ type: "text", delta: text },
	{ type: "done", finishReason: "stop" },
];

/** The turns a connection hears, from now on; `ended(turnId)` waits for one to end. */
export function turnsOf(conn: {
	on(name: "turn", listener: (update: AgentTurnUpdate) => void): () => void;
}) {
	const seen: AgentTurnUpdate[] = [];
	conn.on("turn", (update) => seen.push(update));
	return {
		ended: async (turnId: string): Promise<AgentTurnUpdate> => {
			let end: AgentTurnUpdate | undefined;
			await expect
				.poll(
					() =>
						(end = seen.find(
							(u) => u.turnId === turnId && ["done", "stopped", "failed"].includes(u.status),
						)),
					{ timeout: 10_000 },
				)
				.toBeDefined();
			return end as AgentTurnUpdate;
		},
	};
}
