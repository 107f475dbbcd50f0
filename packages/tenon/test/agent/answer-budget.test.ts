// Answers the model's limits allowed but a connection cannot carry (a
// review, 2026-11-26): openAIModel lets an answer reach 1 MiB, and a
// connection's replies and events are capped at 1 MiB too, so a long answer
// was never sent as its `message` event, and `history` (100 messages, by
// count only) failed with `message/outgoing_too_long` on every open, for
// every participant. An answer now holds at most `maxAnswerChars` (text and
// tool calls together), and a history page at most HISTORY_PAGE_BYTES.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AnswerBudget } from "../../src/agent/answer-budget.js";
import {
	type AgentMessage,
	agentActor,
	defineTool,
	HISTORY_PAGE_BYTES,
	type ModelEvent,
} from "../../src/agent/index.js";
import { annTalksTo, says, scripted, toolCall, toolCallsDone } from "./scripted-model.js";

const ran: unknown[] = [];
const echo = defineTool({
	name: "echo",
	description: "Echoes",
	input: z.object({ text: z.string() }).strict(),
	execute: (input) => {
		ran.push(input);
		return "echoed";
	},
});

function agentAnswering(
	answer: (call: number) => ReturnType<typeof says>,
	maxAnswerChars?: number,
) {
	const model = scripted(answer);
	const agent = agentActor({
		model,
		tools: [echo],
		rateLimit: false,
		...(maxAnswerChars === undefined ? {} : { maxAnswerChars }),
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
	});
	return { model, agent };
}

/** An agent whose model answers `answer(call)`, with `maxAnswerChars` of `max`. */
function cutAt(answer: (call: number) => ModelEvent[], max: number) {
	return agentAnswering(answer as (call: number) => ReturnType<typeof says>, max).agent;
}

const hasLoneSurrogate = (text: string) =>
	/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

/** `text` as a model streams it: deltas of `size` characters. */
function streamed(text: string, size: number) {
	const events: ReturnType<typeof says> = [];
	for (let at = 0; at < text.length; at += size)
		events.push({ type: "text", delta: text.slice(at, at + size) });
	events.push({ type: "done", finishReason: "stop" });
	return events;
}

describe("an answer longer than maxAnswerChars", () => {
	it("is cut there, marked truncated, and reaches the connections", async () => {
		const long = "lorem ipsum ".repeat(500);
		const { agent } = agentAnswering(() => streamed(long, 7), 1_000);
		await using chat = await annTalksTo(agent);
		const heard: AgentMessage[] = [];
		chat.conn.on("message", (message) => heard.push(message));
		const { turnId } = await chat.conn.prompt("write a lot");
		expect((await chat.turns.ended(turnId)).status).toBe("done");
		const answer = (await chat.conn.history()).find((m) => m.role === "assistant");
		expect(answer?.status).toBe("truncated");
		expect(answer?.content).toBe(long.slice(0, 1_000));
		await expect.poll(() => heard.find((m) => m.role === "assistant")?.status).toBe("truncated");
	});

	it("the default budget: an answer of 1,048,500 characters (under openAIModel's 1 MiB) is sent", async () => {
		const text = "lorem ipsum ".repeat(90_000).slice(0, 1_048_500);
		const { agent } = agentAnswering(() => says(text));
		await using chat = await annTalksTo(agent);
		const heard: AgentMessage[] = [];
		chat.conn.on("message", (message) => heard.push(message));
		const { turnId } = await chat.conn.prompt("write a lot");
		expect((await chat.turns.ended(turnId)).status).toBe("done");
		await expect
			.poll(() => heard.find((m) => m.role === "assistant")?.content.length)
			.toBe(100_000);
		expect((await chat.conn.history({ limit: 100 })).map((m) => m.role)).toEqual([
			"user",
			"assistant",
		]);
	});

	it("a tool call past the budget is kept without its arguments and does not run", async () => {
		ran.length = 0;
		const { agent } = agentAnswering(
			(call) =>
				call === 1
					? [
							toolCall("a", "echo", JSON.stringify({ text: "short" })),
							toolCall("b", "echo", JSON.stringify({ text: "x".repeat(2_000) })),
							toolCallsDone,
						]
					: says("done"),
			1_000,
		);
		await using chat = await annTalksTo(agent);
		const { turnId } = await chat.conn.prompt("call tools");
		expect((await chat.turns.ended(turnId)).status).toBe("done");
		expect(ran).toEqual([{ text: "short" }]);
		const history = await chat.conn.history();
		const asked = history.find((m) => m.role === "assistant" && m.toolCalls !== null);
		expect(asked?.toolCalls?.map((call) => call.arguments)).toEqual(['{"text":"short"}', "{}"]);
		const refused = history.find((m) => m.role === "tool" && m.toolCallId === "b");
		expect(refused?.content).toContain("did not fit the answer's 1000 characters");
	});
});

describe("history", () => {
	it("pages by size too: every message is reached, each page fits a connection", async () => {
		// Six answers of 200,000 characters (3 to a budget of 600,000) after their prompts.
		const { agent } = agentAnswering(() => says("word ".repeat(40_000)), 200_000);
		await using chat = await annTalksTo(agent);
		for (const prompt of ["1", "2", "3", "4", "5", "6"]) {
			const { turnId } = await chat.conn.prompt(prompt);
			expect((await chat.turns.ended(turnId)).status).toBe("done");
		}
		const seen: AgentMessage[] = [];
		let before: number | undefined;
		for (let pages = 0; pages < 20; pages++) {
			const page = await chat.conn.history({
				limit: 100,
				...(before === undefined ? {} : { before }),
			});
			if (page.length === 0) break;
			expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(
				HISTORY_PAGE_BYTES + 1_024,
			);
			seen.unshift(...page);
			before = page[0]?.seq;
		}
		expect(seen.map((m) => m.role)).toEqual(Array(6).fill(["user", "assistant"]).flat());
		expect(new Set(seen.map((m) => m.seq)).size).toBe(12);
	});
});

describe("where an answer is cut (a review, 2026-11-26)", () => {
	it("AnswerBudget.textRoom never cuts a surrogate pair in two", () => {
		const budget = new AnswerBudget(11);
		const kept = budget.textRoom("0123456789😀 more", 0);
		expect(hasLoneSurrogate(kept)).toBe(false);
	});

	it("a truncated answer ending in an emoji is stored without a lone surrogate", async () => {
		const agent = cutAt(
			() => [
				{ type: "text", delta: "0123456789" },
				{ type: "text", delta: "😀😀😀 and more" },
				{ type: "done", finishReason: "stop" },
			],
			11,
		);
		await using chat = await annTalksTo(agent);
		const { turnId } = await chat.conn.prompt("emoji");
		await chat.turns.ended(turnId);
		const answer = (await chat.conn.history()).find((m) => m.role === "assistant");
		expect(answer?.status).toBe("truncated");
		expect(answer?.content).toBe("0123456789");
	});

	it("a truncated answer does not end in a cut '[redacted]' marker", async () => {
		const agent = cutAt(
			() => [
				{ type: "text", delta: "key: sk-abcdefghijklmnopqrstuvwxyz0123 is it" },
				{ type: "done", finishReason: "stop" },
			],
			10,
		);
		await using chat = await annTalksTo(agent);
		const { turnId } = await chat.conn.prompt("key");
		await chat.turns.ended(turnId);
		const answer = (await chat.conn.history()).find((m) => m.role === "assistant");
		expect(answer?.content).not.toMatch(/\[(r(e(d(a(c(t(e(d)?)?)?)?)?)?)?)?$/);
	});

	it("text and tool calls together stay within maxAnswerChars (text the redactor held is released after the calls)", async () => {
		ran.length = 0;
		const args = JSON.stringify({ text: "y".repeat(880) });
		const agent = cutAt(
			(call) =>
				call === 1
					? [
							{ type: "text", delta: "hello " },
							// a run without whitespace (a URL, a hash): held by the stream redactor
							{ type: "text", delta: "x".repeat(250) },
							toolCall("a", "echo", args),
							toolCallsDone,
						]
					: [
							{ type: "text", delta: "ok" },
							{ type: "done", finishReason: "stop" },
						],
			1_000,
		);
		await using chat = await annTalksTo(agent);
		const { turnId } = await chat.conn.prompt("go");
		await chat.turns.ended(turnId);
		const answer = (await chat.conn.history()).find((m) => m.role === "assistant");
		const size =
			(answer?.content.length ?? 0) +
			(answer?.toolCalls ?? []).reduce(
				(n, c) => n + c.id.length + c.name.length + c.arguments.length,
				0,
			);
		expect(size).toBeLessThanOrEqual(1_000);
	});

	it("an answer exactly maxAnswerChars long is complete, not truncated", async () => {
		const agent = cutAt(
			() => [
				{ type: "text", delta: "one two 9 " },
				{ type: "done", finishReason: "stop" },
			],
			10,
		);
		await using chat = await annTalksTo(agent);
		const { turnId } = await chat.conn.prompt("ten");
		await chat.turns.ended(turnId);
		const answer = (await chat.conn.history()).find((m) => m.role === "assistant");
		expect({ content: answer?.content, status: answer?.status }).toEqual({
			content: "one two 9 ",
			status: "complete",
		});
	});
});

// A short call after text that filled the budget was refused as "its  did not fit" (a review,
// 2026-11-28): no field of it was long.
it("says a short call did not fit after the answer's text", () => {
	const budget = new AnswerBudget(10);
	const kept = budget.call({ id: "c", name: "t", arguments: "{}" }, 10);
	expect(budget.refusal(kept)).toBe(
		"it did not fit the answer's 10 characters, after the answer's text and calls",
	);
});
