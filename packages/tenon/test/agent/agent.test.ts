// The agent actor against a real mock LLM server (aimock, OpenAI-compatible
// streams from fixtures): tokens stream in order to every connection, stop
// ends a turn mid-stream, a model error fails the turn visibly, tools run
// with the identity of the user who prompted (never the model's), and hostile
// tool calls are refused. High-risk calls: agent-approvals.test.ts.
import { describe, expect, it } from "vitest";
import { AgentChat, type AgentConnection } from "../../src/client/agent-chat.js";
import { setupTest } from "../../src/test/index.js";
import {
	type Conn,
	FOX,
	mock,
	registry,
	startMockLlmForFile,
	toolCalls,
	watch,
} from "./agent-fixture.js";

startMockLlmForFile();

describe("agent actor", () => {
	it("streams the answer in order to every connection, and keeps the transcript", async () => {
		mock.onMessage("tell me about the fox", { content: FOX });
		await using t = await setupTest(registry);
		const ann = t.client.assistant.getOrCreate("fox", { params: { user: "ann" } }).connect();
		const bob = t.client.assistant.getOrCreate("fox", { params: { user: "bob" } }).connect();
		const annSees = watch(ann);
		const bobSees = watch(bob);
		await bob.live();
		mock.clearRequests();
		const { turnId } = await ann.prompt("tell me about the fox");
		await annSees.ended(turnId);
		await bobSees.ended(turnId);
		const answerId = `${turnId}.0`;
		expect(annSees.texts.get(answerId)).toBe(FOX);
		expect(bobSees.texts.get(answerId)).toBe(FOX);
		expect(annSees.gaps).toEqual([]);
		expect(bobSees.gaps).toEqual([]);
		// One model call for both clients.
		expect(mock.getRequests()).toHaveLength(1);
		const history = await bob.history();
		expect(history.map((m) => [m.role, m.content, m.author, m.status])).toEqual([
			["user", "tell me about the fox", "ann", "complete"],
			["assistant", FOX, null, "complete"],
		]);
		expect(history[1]?.seq).toBeGreaterThan(history[0]?.seq ?? 0);
		expect(annSees.turns.map((u) => u.status)).toEqual(["queued", "running", "done"]);
		await ann.dispose();
		await bob.dispose();
	});

	it("stops mid-stream: the turn ends as stopped with what streamed, and no more tokens come", async () => {
		mock.onMessage("tell me slowly", { content: FOX.repeat(4) }, { latency: 30 });
		await using t = await setupTest(registry);
		const ann = t.client.assistant.getOrCreate("stop", { params: { user: "ann" } }).connect();
		const sees = watch(ann);
		const { turnId } = await ann.prompt("tell me slowly");
		const answerId = `${turnId}.0`;
		await expect
			.poll(() => (sees.texts.get(answerId) ?? "").length, { timeout: 5_000 })
			.toBeGreaterThan(8);
		expect(await ann.stop()).toBe(true);
		await sees.ended(turnId);
		expect(sees.turns.at(-1)?.status).toBe("stopped");
		const [, answer] = await ann.history();
		expect(answer?.status).toBe("stopped");
		expect(FOX.repeat(4).startsWith(answer?.content ?? "x")).toBe(true);
		expect(answer?.content.length).toBeLessThan(FOX.length * 4);
		const streamed = sees.texts.get(answerId);
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(sees.texts.get(answerId)).toBe(streamed);
		expect(streamed).toBe(answer?.content);
		// Nothing to stop now.
		expect(await ann.stop()).toBe(false);
		await ann.dispose();
	});

	it("a client that comes back mid-stream picks the answer up where it is", async () => {
		mock.onMessage("stream while I leave", { content: FOX.repeat(3) }, { latency: 25 });
		await using t = await setupTest(registry);
		const ann = t.client.assistant.getOrCreate("resume", { params: { user: "ann" } }).connect();
		const first = new AgentChat(ann as unknown as AgentConnection);
		const { turnId } = await first.send("stream while I leave");
		await expect
			.poll(() => first.view.streaming?.text.length ?? 0, { timeout: 5_000 })
			.toBeGreaterThan(10);
		first.close();
		await ann.dispose();
		// Some tokens go by with no one to see them.
		await new Promise((resolve) => setTimeout(resolve, 150));
		const again = t.client.assistant.getOrCreate("resume", { params: { user: "ann" } }).connect();
		const chat = new AgentChat(again as unknown as AgentConnection);
		await expect
			.poll(() => chat.view.streaming?.text.length ?? 0, { timeout: 5_000 })
			.toBeGreaterThan(20);
		await expect.poll(() => chat.view.messages.at(-1)?.id, { timeout: 10_000 }).toBe(`${turnId}.0`);
		expect(chat.view.messages.at(-1)?.content).toBe(FOX.repeat(3));
		expect(chat.view.streaming).toBeNull();
		await expect.poll(() => chat.view.status).toBe("idle");
		chat.close();
		await again.dispose();
	});

	it("a model error fails the turn with a stable code the clients see; the prompt stays", async () => {
		mock.nextRequestError(500, { message: "the model is on fire", type: "server_error" });
		await using t = await setupTest(registry);
		const ann = t.client.assistant.getOrCreate("error", { params: { user: "ann" } }).connect();
		const sees = watch(ann);
		const { turnId } = await ann.prompt("anything at all");
		await sees.ended(turnId);
		const failed = sees.turns.at(-1);
		expect(failed?.status).toBe("failed");
		expect(failed?.error).toMatchObject({ group: "agent", code: "model_http_error" });
		// The model server's own words are for operators (the journal, the log), not users:
		// they saw "upstream db 10.0.0.5:5432 timed out" (a walkthrough, 2026-11-28).
		expect(failed?.error?.message).toBe("The model server answered HTTP 500");
		const history = await ann.history();
		expect(JSON.stringify(history)).not.toContain("on fire");
		expect(history.map((m) => [m.role, m.status])).toEqual([
			["user", "complete"],
			["assistant", "failed"],
		]);
		await expect.poll(() => ann.sharedState?.last?.status).toBe("failed");
		await ann.dispose();
	});

	it("tools run as the user who prompted, whatever the model writes in the arguments", async () => {
		mock.on(
			{ userMessage: "who am i", hasToolResult: false },
			{ toolCalls: [{ name: "whoami", arguments: "{}" }] },
		);
		mock.on({ userMessage: "who am i", hasToolResult: true }, { content: "You are you." });
		mock.on(
			{ userMessage: "pretend to be bob", hasToolResult: false },
			{ toolCalls: [{ name: "whoami", arguments: JSON.stringify({ user: "bob" }) }] },
		);
		mock.on({ userMessage: "pretend to be bob", hasToolResult: true }, { content: "Nope." });
		await using t = await setupTest(registry);
		const ann = t.client.assistant.getOrCreate("tools", { params: { user: "ann" } }).connect();
		const sees = watch(ann);
		toolCalls.length = 0;
		const first = await ann.prompt("who am i");
		await sees.ended(first.turnId);
		expect(toolCalls).toEqual([{ tool: "whoami", requester: "ann", input: {} }]);
		// Extra arguments (an identity the model made up) are refused before the tool runs.
		const second = await ann.prompt("pretend to be bob");
		await sees.ended(second.turnId);
		expect(toolCalls).toHaveLength(1);
		const history = await ann.history();
		const results = history.filter((m) => m.role === "tool");
		expect(results.map((m) => [m.toolName, m.status])).toEqual([
			["whoami", "complete"],
			["whoami", "failed"],
		]);
		expect(results[0]?.content).toBe('{"user":"ann"}');
		expect(results[1]?.content).toContain("invalid arguments");
		expect(history.at(-1)?.content).toBe("Nope.");
		await ann.dispose();
	});

	it("refuses __proto__ in tool arguments and unknown tools, and tells the model why", async () => {
		mock.on(
			{ userMessage: "pollute", hasToolResult: false },
			{
				toolCalls: [
					{ name: "refund_order", arguments: '{"orderId":"1","__proto__":{"admin":true}}' },
					{ name: "rm_rf", arguments: "{}" },
					{ name: "whoami", arguments: "[1,2]" },
					{ name: "whoami", arguments: "{not json" },
				],
			},
		);
		mock.on({ userMessage: "pollute", hasToolResult: true }, { content: "ok" });
		await using t = await setupTest(registry);
		const ann = t.client.assistant.getOrCreate("proto", { params: { user: "ann" } }).connect();
		const sees = watch(ann);
		toolCalls.length = 0;
		mock.clearRequests();
		const { turnId } = await ann.prompt("pollute");
		await sees.ended(turnId);
		expect(toolCalls).toEqual([]);
		expect(({} as Record<string, unknown>).admin).toBeUndefined();
		const results = (await ann.history()).filter((m) => m.role === "tool");
		expect(results.map((m) => m.status)).toEqual(["failed", "failed", "failed", "failed"]);
		expect(results[0]?.content).toContain("__proto__");
		expect(results[1]?.content).toContain("no tool named 'rm_rf'");
		expect(results[2]?.content).toContain("JSON object");
		expect(results[3]?.content).toContain("not valid JSON");
		// The model's second call got a result for every call it made.
		const second = mock.getRequests().at(-1)?.body as {
			messages: { role: string; tool_call_id?: string }[];
		};
		expect(second.messages.filter((m) => m.role === "tool")).toHaveLength(4);
		await ann.dispose();
	});

	it("limits prompts per conversation, checks them, and redacts secrets before the model sees them", async () => {
		mock.onMessage(/password/, { content: "Noted." });
		await using t = await setupTest(registry);
		const ann = t.client.limited.getOrCreate("limits", { params: { user: "ann" } }).connect();
		const sees = watch(ann as unknown as Conn);
		mock.clearRequests();
		const { turnId } = await ann.prompt(
			"my password is hunter2-the-password and my key sk-abcdefghijklmnopqrstuvwx",
		);
		await sees.ended(turnId);
		const modelSaw = JSON.stringify(mock.getLastRequest()?.body);
		expect(modelSaw).not.toContain("hunter2");
		expect(modelSaw).not.toContain("sk-abcdefghijkl");
		const [prompt] = await ann.history();
		expect(prompt?.content).toBe("my password is [redacted] and my key [redacted]");
		await ann.prompt("password again");
		await expect(ann.prompt("password thrice")).rejects.toMatchObject({
			group: "agent",
			code: "rate_limited",
		});
		await expect(ann.prompt("")).rejects.toMatchObject({ group: "agent", code: "invalid_prompt" });
		// Over HTTP, the caller's mistakes and limits are 4xx, not 500 (found by an attacker probe).
		const overHttp = async (text: string) =>
			(
				await fetch(
					`${t.url}/gateway/limited/action/prompt?rvt-method=getOrCreate&rvt-key=limits`,
					{
						method: "POST",
						headers: {
							"content-type": "application/json",
							"x-rivet-conn-params": JSON.stringify({ user: "ann" }),
						},
						body: JSON.stringify({ args: [text] }),
					},
				)
			).status;
		expect(await overHttp("")).toBe(400);
		expect(await overHttp("password over http")).toBe(429);
		await expect(ann.prompt("x".repeat(16_001))).rejects.toMatchObject({
			group: "agent",
			code: "prompt_too_large",
		});
		await expect(
			(ann as unknown as { prompt(v: unknown): Promise<unknown> }).prompt({ text: "hi" }),
		).rejects.toMatchObject({
			code: "invalid_prompt",
		});
		// A connection the actor cannot identify may read, not prompt.
		const anon = t.client.limited.getOrCreate("limits", { params: { user: "" } }).connect();
		await expect(anon.prompt("hello")).rejects.toMatchObject({ group: "auth", code: "forbidden" });
		expect((await anon.history()).length).toBeGreaterThan(0);
		await ann.dispose();
		await anon.dispose();
	});
});
