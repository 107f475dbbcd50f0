// A scripted chat model and a turn watcher, shared by the tests that play a
// hostile or leaky model against a real agent actor.
import { expect } from "vitest";
import type {
	AgentActorDefinition,
	AgentTurnUpdate,
	ChatModel,
	ModelEvent,
} from "../../src/agent/index.js";
import { type StorageDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

/** An agent whose connections give a user's name as their parameters, and keep it as their state. */
type AgentOfUsers = AgentActorDefinition<{ user: string }, { user: string }>;

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

/**
 * A fresh server with `agent` (under the name "agent"), and Ann's connection
 * to its conversation "talk", closed with it. `inspectorToken` opens the
 * inspector; `storage` replaces the in-memory store.
 */
export async function annTalksTo(
	agent: AgentOfUsers,
	options: { inspectorToken?: string; storage?: StorageDriver } = {},
) {
	const { inspectorToken, storage } = options;
	const registry = setup({
		use: { agent },
		logLevel: "silent",
		...(inspectorToken === undefined ? {} : { inspector: { token: inspectorToken } }),
	});
	const t = await setupTest(registry, storage === undefined ? {} : { storage });
	const handle = t.client.agent.getOrCreate("talk", { params: { user: "ann" } });
	const conn = handle.connect();
	conn.onSharedState(() => {});
	return {
		t,
		handle,
		conn,
		turns: turnsOf(conn),
		async [Symbol.asyncDispose]() {
			await conn.dispose();
			await t[Symbol.asyncDispose]();
		},
	};
}

/** Resolves to what `promise` gave, or "still waiting" after `ms`. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | "still waiting"> {
	return Promise.race([
		promise,
		new Promise<"still waiting">((resolve) => setTimeout(() => resolve("still waiting"), ms)),
	]);
}

/** The app's own rows, until not even a small one fits the database (its size limit). */
export async function fillDatabase(db: {
	execute(sql: string, ...args: unknown[]): Promise<unknown>;
}): Promise<number> {
	await db.execute("CREATE TABLE IF NOT EXISTS mine (v TEXT)");
	let rows = 0;
	for (const size of [20_000, 2_000, 200, 20, 1])
		for (;;) {
			try {
				await db.execute("INSERT INTO mine (v) VALUES (?)", "m".repeat(size));
				rows++;
			} catch {
				break;
			}
		}
	return rows;
}
