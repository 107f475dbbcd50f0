// A turn cut before its model reported what it used (a stop, an answer past
// maxAnswerChars) was counted nothing: a user stopping every answer just before its end
// was never billed (an attacker probe, 2026-11-28). Such a call's usage is estimated.
import { expect, it } from "vitest";
import { type AgentTurnEnd, agentActor, type ModelEvent } from "../../src/agent/index.js";
import { annTalksTo } from "./scripted-model.js";

const USAGE = { promptTokens: 50_000, completionTokens: 4_000 };

it("a truncated answer's model call is billed, estimated", async () => {
	const heard: AgentTurnEnd[] = [];
	const model = {
		stream(): AsyncIterable<ModelEvent> {
			return (async function* () {
				for (let i = 0; i < 20; i++) yield { type: "text", delta: "A ".repeat(50) } as ModelEvent;
				yield { type: "done", finishReason: "stop", usage: USAGE } as ModelEvent;
			})();
		},
	};
	const agent = agentActor({
		model,
		maxAnswerChars: 300,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
		onTurnEnd: (_c, turn) => {
			heard.push(turn);
		},
	});
	await using s = await annTalksTo(agent);
	const { turnId } = await s.conn.prompt("write the letter A a thousand times");
	await s.turns.ended(turnId);
	await expect.poll(() => heard.length).toBe(1);
	const answer = (await s.conn.history()).find((m) => m.role === "assistant");
	expect(answer?.content.length).toBeGreaterThan(200); // the user got the answer
	// ...and is charged for it: 300 characters received, about 75 tokens.
	expect(heard[0]?.usage).toMatchObject({ estimated: true, completionTokens: 75 });
	expect(heard[0]?.usage?.promptTokens).toBeGreaterThan(5);
	expect(answer?.usage).toMatchObject({ estimated: true });
});

it("a stopped answer's model call is billed, estimated", async () => {
	const heard: AgentTurnEnd[] = [];
	let finish: (() => void) | undefined;
	const model = {
		stream(): AsyncIterable<ModelEvent> {
			return (async function* () {
				yield { type: "text", delta: "the whole answer, almost " } as ModelEvent;
				await new Promise<void>((resolve) => (finish = resolve));
				yield { type: "done", finishReason: "stop", usage: USAGE } as ModelEvent;
			})();
		},
	};
	const agent = agentActor({
		model,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
		onTurnEnd: (_c, turn) => {
			heard.push(turn);
		},
	});
	await using s = await annTalksTo(agent);
	const { turnId } = await s.conn.prompt("hi");
	await expect.poll(() => finish !== undefined).toBe(true);
	await s.conn.stop();
	finish?.();
	const end = await s.turns.ended(turnId);
	expect(end.status).toBe("stopped");
	await expect.poll(() => heard.length).toBe(1);
	expect(heard[0]?.usage).toMatchObject({ estimated: true });
	expect(heard[0]?.usage?.completionTokens).toBeGreaterThan(5);
});
