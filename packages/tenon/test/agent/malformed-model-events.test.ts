// A ChatModel is any object (a user's adapter, not only openAIModel), so its
// events are untrusted in shape too (a docs walkthrough, 2026-11-28): a call
// whose arguments were an object, not JSON text, was refused as if "its
// arguments did not fit the answer's 100000 characters"; so was a call whose
// name (not its arguments) was long; a `null` call, or a text event whose
// delta was a number, failed the turn as `agent/model_failed`, a code the
// docs did not list, and the server logged nothing.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentActor, type ChatModel, defineTool, type ModelEvent } from "../../src/agent/index.js";
import { annTalksTo, says, scripted, toolCallsDone } from "./scripted-model.js";

const ran: unknown[] = [];
const lookup = defineTool({
	name: "lookup",
	description: "Looks something up",
	input: z.object({ q: z.string() }).strict(),
	execute: (input) => {
		ran.push(input);
		return "found";
	},
});

const converse = (model: ChatModel) =>
	annTalksTo(
		agentActor({
			model,
			system: "test",
			tools: [lookup],
			createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
			identify: (conn) => ({ id: conn.state.user }),
		}),
	);

/** The reason the turn's one refused call gave the model. */
async function refusalFor(call: unknown): Promise<string> {
	const model = scripted((n) =>
		n === 1 ? [{ type: "tool_call", call } as ModelEvent, toolCallsDone] : says("ok"),
	);
	await using chat = await converse(model);
	const { turnId } = await chat.conn.prompt("go");
	expect((await chat.turns.ended(turnId)).status).toBe("done");
	const result = (model.requests[1]?.messages ?? []).find((m) => m.role === "tool");
	return String(result?.content);
}

describe("a model's malformed events", () => {
	it("a call whose fields are not text is refused as such, and the conversation goes on", async () => {
		ran.length = 0;
		expect(await refusalFor({ id: "c1", name: "lookup", arguments: { q: "x" } })).toContain(
			"its arguments were not text",
		);
		expect(await refusalFor({ id: 7, name: "lookup", arguments: "{}" })).toContain(
			"its id was not text",
		);
		expect(await refusalFor(null)).toContain("its id, name and arguments were not text");
		expect(ran).toEqual([]);
	});

	it("a call too long for the answer names the field that was long", async () => {
		const reason = await refusalFor({ id: "c1", name: "n".repeat(200_000), arguments: "{}" });
		expect(reason).toContain("its name");
		expect(reason).not.toContain("its arguments");
	});

	it("a text event without text fails the turn as a bad stream, a documented code", async () => {
		// Bad on every try for the prompt "one" (the answer's step is retried), good after.
		const model: ChatModel = {
			stream: ({ messages }) =>
				(async function* () {
					if (messages.at(-1)?.content === "one")
						yield { type: "text", delta: 42 } as unknown as ModelEvent;
					yield* says("fine");
				})(),
		};
		await using chat = await converse(model);
		const ended = async (turnId: string) => {
			// Retries wait on the test clock.
			const end = chat.turns.ended(turnId);
			for (let i = 0; i < 20; i++) await chat.t.clock.advance(5_000);
			return end;
		};
		const first = await chat.conn.prompt("one");
		expect(await ended(first.turnId)).toMatchObject({
			status: "failed",
			error: { code: "model_bad_stream" },
		});
		const second = await chat.conn.prompt("two");
		expect((await ended(second.turnId)).status).toBe("done");
	});
});

// A schema's refusal reached the model as JSON inside JSON, escaped three times (a docs
// walkthrough, 2026-11-28): `{"error":"not run: invalid arguments: [{\"message\"...`.
it("tells the model why its arguments failed the schema in plain words", async () => {
	const reason = await refusalFor({ id: "c1", name: "lookup", arguments: '{"q":5}' });
	expect(reason).toMatch(/invalid arguments: q: [^\\]+/);
	expect(reason).not.toContain('\\"');
});
