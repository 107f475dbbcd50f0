// Regression (an attacker probe, 2026-11-27): a ChatModel whose stream stalls and never looks
// at its abort signal (an app's adapter in front of a provider that hangs) could not be
// stopped: `stop()` said true, but the turn never ended, no later prompt ran, and the server's
// close waited past its grace period. The turn now races each step of the stream against its
// stop, as it does a tool's run.
import { describe, expect, it } from "vitest";
import { agentActor, type ChatModel, type ModelEvent } from "../../src/agent/index.js";
import { annTalksTo, says, within } from "./scripted-model.js";

/** A model whose first answer streams one piece of text, then never settles (nor ends). */
function stallingModel() {
	const model = {
		calls: 0,
		streamed: false,
		stream(): AsyncIterable<ModelEvent> {
			const call = ++model.calls;
			return (async function* () {
				if (call > 1) {
					yield* says("ok");
					return;
				}
				yield { type: "text", delta: "thinking" } as ModelEvent;
				model.streamed = true;
				await new Promise(() => {});
			})();
		},
	};
	return model satisfies ChatModel;
}

/**
 * The same model written by hand, as an adapter may be: its iterator's `return()` gives a
 * plain object (as `for await` allows) or throws, where a generator's gives a promise.
 */
function handWrittenStallingModel(onReturn: () => IteratorResult<ModelEvent>) {
	const model = {
		calls: 0,
		streamed: false,
		returned: 0,
		stream(): AsyncIterable<ModelEvent> {
			const call = ++model.calls;
			if (call > 1)
				return (async function* () {
					yield* says("ok");
				})();
			let sent = false;
			return {
				[Symbol.asyncIterator]: () => ({
					next: (): Promise<IteratorResult<ModelEvent>> => {
						if (sent) return new Promise(() => {});
						sent = true;
						model.streamed = true;
						return Promise.resolve({ done: false, value: { type: "text", delta: "thinking" } });
					},
					return: (): any => {
						model.returned++;
						return onReturn();
					},
				}),
			};
		},
	};
	return model satisfies ChatModel;
}

const agentOf = (model: ChatModel) =>
	agentActor({
		model,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
	});

/**
 * Prompts once, waits for the model's first text, stops the turn and checks it ended stopped
 * with that text kept, runs `check`, then checks the next prompt runs and the server closes.
 */
async function stopsAndGoesOn(
	model: ChatModel & { streamed: boolean },
	check: () => void = () => {},
): Promise<void> {
	const chat = await annTalksTo(agentOf(model));
	const { conn, turns } = chat;
	const first = await conn.prompt("go");
	await expect.poll(() => model.streamed, { timeout: 5_000 }).toBe(true);
	expect(await conn.stop()).toBe(true);
	expect((await turns.ended(first.turnId)).status).toBe("stopped");
	check();
	const answer = (await conn.history()).find((m) => m.role === "assistant");
	expect(answer).toMatchObject({ status: "stopped", content: "thinking" });
	const second = await conn.prompt("and now?");
	expect((await turns.ended(second.turnId)).status).toBe("done");
	expect(await within(chat[Symbol.asyncDispose](), 5_000)).toBeUndefined();
}

describe("a model stream that stalls and ignores its signal", () => {
	it("ends when the user stops the turn, keeps what streamed, and the next prompt runs", async () => {
		await stopsAndGoesOn(stallingModel());
	});

	it("does not hold the server's close", async () => {
		const model = stallingModel();
		const chat = await annTalksTo(agentOf(model));
		await chat.conn.prompt("go");
		await expect.poll(() => model.streamed, { timeout: 5_000 }).toBe(true);
		expect(await within(chat[Symbol.asyncDispose](), 5_000)).toBeUndefined();
	});

	it.each([
		[
			"gives a plain object",
			() => ({ done: true, value: undefined }) as IteratorResult<ModelEvent>,
		],
		[
			"throws",
			(): IteratorResult<ModelEvent> => {
				throw new Error("adapter bug");
			},
		],
	])("is stopped when its hand-written iterator's return() %s", async (_shape, onReturn) => {
		// Regression: `iterator.return().catch(...)` threw a TypeError on a plain object, so
		// the turn failed instead of stopping, its answer lost.
		const model = handWrittenStallingModel(onReturn);
		await stopsAndGoesOn(model, () => expect(model.returned).toBe(1));
	});
});
