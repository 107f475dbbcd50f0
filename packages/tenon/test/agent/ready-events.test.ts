// A ChatModel whose stream has its events ready at once (an adapter over a
// buffered answer, or a hostile one) never let the event loop turn while the
// answer was read: 100,000 one-character events stalled every other client
// for 0.8 s (an attacker probe, 2026-11-28). The answer's reader now lets the
// loop turn every few hundred events.
import { expect, it } from "vitest";
import { agentActor, type ChatModel, type ModelEvent } from "../../src/agent/index.js";
import { watchLoop } from "../helpers/loop-stalls.js";
import { annTalksTo } from "./scripted-model.js";

let calls = 0;
/** The first answer is short (the conversation's first turn warms SQLite up); then 90,000 events. */
const ready: ChatModel = {
	async *stream(): AsyncIterable<ModelEvent> {
		const events = ++calls === 1 ? 1 : 90_000;
		for (let i = 0; i < events; i++) yield { type: "text", delta: "a" };
		yield { type: "done", finishReason: "stop" };
	},
};

it("reads an answer whose events are all ready without holding the loop", async () => {
	await using talk = await annTalksTo(
		agentActor({
			model: ready,
			createConnState: (_c: unknown, params: { user: string }) => ({ user: params.user }),
			identify: (conn) => ({ id: conn.state.user }),
		}),
	);
	await talk.turns.ended((await talk.conn.prompt("warm up")).turnId);
	const loop = watchLoop();
	const ended = await talk.turns.ended((await talk.conn.prompt("go")).turnId);
	const worst = loop.stop();
	expect(ended.status).toBe("done");
	const answer = (await talk.conn.history()).at(-1);
	expect(answer?.content).toHaveLength(90_000);
	// 0.5 to 0.8 s when every event was read in one go.
	expect(worst).toBeLessThan(150);
});
