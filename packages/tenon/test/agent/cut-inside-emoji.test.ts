// A review (2026-11-26): cuts at a character count that fall inside an emoji (a surrogate
// pair) leave a lone surrogate, which the workflow journal / state refuse.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentActor, defineTool } from "../../src/agent/index.js";
import { annTalksTo, says, scripted, toolCall, toolCallsDone } from "./scripted-model.js";

const page = defineTool({
	name: "fetch_page",
	description: "Fetches a long page",
	input: z.object({}).strict(),
	// 16 000 characters is maxToolResultChars: the emoji straddles the cut.
	execute: () => `${"a".repeat(Number(process.env.A1 ?? 15_999))}🌍 and the rest of the page`,
});
const sendNote = defineTool({
	name: "send_note",
	description: "Sends a note",
	input: z.object({ note: z.string() }).strict(),
	risk: "high",
	execute: () => ({ ok: true }),
});

function agent(model: ReturnType<typeof scripted>) {
	return agentActor({
		model,
		tools: [page, sendNote],
		modelRetries: 0,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
	});
}

describe("cuts inside an emoji", () => {
	it("a long tool result with an emoji at maxToolResultChars: the turn ends, the next one runs", async () => {
		const model = scripted((call) =>
			call === 1 ? [toolCall("c1", "fetch_page", "{}"), toolCallsDone] : says(`answer ${call}`),
		);
		await using chat = await annTalksTo(agent(model));
		const first = await chat.conn.prompt("read the page");
		expect((await chat.turns.ended(first.turnId)).status).toBe("done");
		const second = await chat.conn.prompt("again");
		expect((await chat.turns.ended(second.turnId)).status).toBe("done");
	}, 30_000);

	it("a high-risk call whose shown arguments are cut inside an emoji waits for a decision", async () => {
		// Rendered: {"note":"aaa…🌍…"}; `{"note":"` is 9 characters, so the emoji sits at 15 999.
		const note = `${"a".repeat(Number(process.env.A2 ?? 15_990))}🌍 tail`;
		const model = scripted((call) =>
			call === 1
				? [toolCall("c1", "send_note", JSON.stringify({ note })), toolCallsDone]
				: says("ok"),
		);
		await using chat = await annTalksTo(agent(model));
		const { turnId } = await chat.conn.prompt("send it");
		await expect
			.poll(() => chat.conn.sharedState?.pending?.tool, { timeout: 5_000 })
			.toBe("send_note");
		await chat.conn.confirm(chat.conn.sharedState?.pending?.callId as string, false);
		expect((await chat.turns.ended(turnId)).status).toBe("done");
	}, 30_000);
});
