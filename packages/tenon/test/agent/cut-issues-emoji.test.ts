// A review (2026-11-26): a hostile model's unknown argument key, quoted in the refusal and
// cut at 2 000 characters inside an emoji, must not wedge the conversation.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeIssues } from "../../src/actor/schema.js";
import { agentActor, defineTool } from "../../src/agent/index.js";
import { annTalksTo, says, scripted, toolCall, toolCallsDone } from "./scripted-model.js";

const lookup = defineTool({
	name: "lookup",
	description: "Looks up",
	input: z.object({ q: z.string() }).strict(),
	execute: () => "found",
});

async function keyPutting(): Promise<string> {
	// Find the key length that puts the emoji across the 2 000-character cut of the issues' JSON.
	for (let n = 1900; n < 2000; n++) {
		const key = `${"k".repeat(n)}🌍`;
		const result = await lookup.input["~standard"].validate({ q: "x", [key]: 1 });
		const text = JSON.stringify(describeIssues(result.issues ?? []));
		const cut = text.slice(0, 2_000);
		if (!cut.isWellFormed()) return key;
	}
	throw new Error("no key found");
}

describe("refusal reasons cut inside an emoji", () => {
	it("an unknown key in a model's arguments: the call is refused, the turn ends, the next one runs", async () => {
		const key = await keyPutting();
		const model = scripted((call) =>
			call === 1
				? [toolCall("c1", "lookup", JSON.stringify({ q: "x", [key]: 1 })), toolCallsDone]
				: says(`answer ${call}`),
		);
		await using chat = await annTalksTo(
			agentActor({
				model,
				tools: [lookup],
				modelRetries: 0,
				createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
				identify: (conn) => ({ id: conn.state.user }),
			}),
		);
		const first = await chat.conn.prompt("go");
		expect((await chat.turns.ended(first.turnId)).status).toBe("done");
		const second = await chat.conn.prompt("again");
		expect((await chat.turns.ended(second.turnId)).status).toBe("done");
	}, 30_000);
});
