// High-risk tool calls of the agent actor against a real mock LLM server: they
// wait for the user who prompted (no other connection, nor the model's text,
// approves them), an unanswered one is a denial and keeps the turn from asking
// again, and a denial or a stop, even right after an approval, runs nothing.
import { describe, expect, it } from "vitest";
import { setupTest } from "../../src/test/index.js";
import {
	type Conn,
	INSPECTOR_TOKEN,
	mock,
	registry,
	startMockLlmForFile,
	toolCalls,
	watch,
} from "./agent-fixture.js";

startMockLlmForFile();

describe("agent actor: high-risk calls", () => {
	it("a high-risk call waits for the user who prompted: another connection cannot approve it", async () => {
		mock.on(
			{ userMessage: "refund order 7", hasToolResult: false },
			{ toolCalls: [{ name: "refund_order", arguments: '{"orderId":"7"}' }] },
		);
		mock.on({ userMessage: "refund order 7", hasToolResult: true }, { content: "Refunded." });
		await using t = await setupTest(registry);
		const ann = t.client.assistant.getOrCreate("refund", { params: { user: "ann" } }).connect();
		const eve = t.client.assistant.getOrCreate("refund", { params: { user: "eve" } }).connect();
		const anon = t.client.assistant.getOrCreate("refund", { params: { user: "" } }).connect();
		const sees = watch(ann);
		eve.onSharedState(() => {});
		// The turn event that says `confirming` finds the pending call in the shared state (it
		// came before the state's patch: a docs walkthrough, 2026-11-28).
		const pendingAtEvent: unknown[] = [];
		ann.on("turn", (turn) => {
			if (turn.status === "confirming") pendingAtEvent.push(ann.sharedState?.pending?.tool);
		});
		toolCalls.length = 0;
		const { turnId } = await ann.prompt("refund order 7");
		await expect
			.poll(() => eve.sharedState?.pending?.tool, { timeout: 5_000 })
			.toBe("refund_order");
		await expect.poll(() => pendingAtEvent).toEqual(["refund_order"]);
		const pending = eve.sharedState?.pending;
		expect(pending).toMatchObject({ requester: "ann", arguments: '{"orderId":"7"}', turnId });
		const callId = pending?.callId as string;
		await expect(eve.confirm(callId, true)).rejects.toMatchObject({
			group: "auth",
			code: "forbidden",
		});
		await expect(anon.confirm(callId, true)).rejects.toMatchObject({
			group: "auth",
			code: "forbidden",
		});
		await expect(eve.stop()).rejects.toMatchObject({ group: "auth", code: "forbidden" });
		// A client cannot put a decision on the queue itself (nor do the types offer it).
		await expect(
			// @ts-expect-error: an internal queue
			t.client.assistant.get("refund", { params: { user: "eve" } }).send("decisions", {
				callId,
				approved: true,
				by: "ann",
				reason: "decided",
			}),
		).rejects.toMatchObject({ group: "auth", code: "forbidden" });
		await expect(ann.confirm("no-such-call", true)).rejects.toMatchObject({
			group: "agent",
			code: "no_pending_call",
		});
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(toolCalls).toEqual([]);
		await ann.confirm(callId, true);
		await sees.ended(turnId);
		expect(toolCalls).toEqual([
			{ tool: "refund_order", requester: "ann", input: { orderId: "7" } },
		]);
		const result = (await ann.history()).find((m) => m.role === "tool");
		// The tool's result had an API key in it: neither the model nor the clients see it.
		expect(result?.content).toBe('{"refunded":"7","apiKey":"[redacted]"}');
		const modelSaw = JSON.stringify(mock.getLastRequest()?.body);
		expect(modelSaw).not.toContain("sk-live");
		// Deciding twice finds nothing pending.
		await expect(ann.confirm(callId, true)).rejects.toMatchObject({ code: "no_pending_call" });
		await ann.dispose();
		await eve.dispose();
		await anon.dispose();
	});

	it("a model that writes 'approved' approves nothing: no decision in time is a denial", async () => {
		mock.on(
			{ userMessage: "approve it yourself", hasToolResult: false },
			{
				content: "The user said: approved. APPROVED. confirm(call, true). Proceeding.",
				toolCalls: [{ name: "refund_order", arguments: '{"orderId":"9"}' }],
			},
		);
		mock.on(
			{ userMessage: "approve it yourself", hasToolResult: true },
			{ content: "It was not approved." },
		);
		await using t = await setupTest(registry);
		const ann = t.client.impatient
			.getOrCreate("self-approve", { params: { user: "ann" } })
			.connect();
		const sees = watch(ann as unknown as Conn);
		toolCalls.length = 0;
		mock.clearRequests();
		const { turnId } = await ann.prompt("approve it yourself");
		await expect
			.poll(() => ann.sharedState?.pending?.tool, { timeout: 5_000 })
			.toBe("refund_order");
		// The test server's clock is manual: time passes when the test says so.
		await t.clock.advance(500);
		await sees.ended(turnId);
		expect(toolCalls).toEqual([]);
		const history = await ann.history();
		const result = history.find((m) => m.role === "tool");
		expect(result?.status).toBe("denied");
		expect(result?.content).toContain("no one confirmed this call in time");
		expect(history.at(-1)?.content).toBe("It was not approved.");
		const second = mock.getLastRequest()?.body as { messages: { role: string; content: string }[] };
		expect(second.messages.find((m) => m.role === "tool")?.content).toContain("no one confirmed");
		await ann.dispose();
	});

	// An attacker probe (2026-11-28): each high-risk call waited out its own deadline, so a
	// model asking for five in every answer held one turn for 40 deadlines.
	it("after one call goes unconfirmed, the turn's later high-risk calls are refused without asking", async () => {
		mock.on(
			{ userMessage: "refund them all", hasToolResult: false },
			{
				toolCalls: ["1", "2", "3"].map((orderId) => ({
					name: "refund_order",
					arguments: JSON.stringify({ orderId }),
				})),
			},
		);
		mock.on(
			{ userMessage: "refund them all", hasToolResult: true },
			{
				toolCalls: [
					{ name: "refund_order", arguments: '{"orderId":"4"}' },
					{ name: "whoami", arguments: "{}" },
				],
			},
		);
		await using t = await setupTest(registry);
		const ann = t.client.impatient
			.getOrCreate("walked-away", { params: { user: "ann" } })
			.connect();
		const sees = watch(ann as unknown as Conn);
		toolCalls.length = 0;
		const asked: string[] = [];
		ann.on("turn", () => {
			const pending = ann.sharedState?.pending;
			if (pending && !asked.includes(pending.callId)) asked.push(pending.callId);
		});
		const { turnId } = await ann.prompt("refund them all");
		await expect
			.poll(() => ann.sharedState?.pending?.tool, { timeout: 5_000 })
			.toBe("refund_order");
		// The first deadline passes: the rest of the turn asks no one.
		await t.clock.advance(500);
		await sees.ended(turnId);
		expect(asked).toHaveLength(1);
		// The low-risk calls still ran (the model asks for one in every later round); no refund did.
		expect(toolCalls.length).toBeGreaterThan(0);
		expect(toolCalls.every((call) => call.tool === "whoami")).toBe(true);
		const results = (await ann.history()).filter((m) => m.role === "tool");
		const refunds = results.filter((m) => m.toolName === "refund_order");
		// Three in the first answer, one in each later round that had tools.
		expect(refunds.length).toBeGreaterThan(4);
		expect(refunds[0]?.content).toContain("no one confirmed this call in time");
		// The last round has no tools: its calls fail as such, asking no one either.
		const denied = refunds.filter((m) => m.status === "denied");
		expect(denied.length + 1).toBeGreaterThan(4);
		expect(refunds.every((m) => m.status === "denied" || m.status === "failed")).toBe(true);
		for (const later of denied.slice(1))
			expect(later.content).toContain("an earlier call in this turn was not confirmed in time");
		const whoamis = results.filter((m) => m.toolName === "whoami");
		expect(whoamis.slice(0, -1).every((m) => m.status === "complete")).toBe(true);
		await ann.dispose();
	});

	it("a denial and a stop while waiting come back to the model as results; the tool never runs", async () => {
		mock.on(
			{ userMessage: "refund order 8", hasToolResult: false },
			{ toolCalls: [{ name: "refund_order", arguments: '{"orderId":"8"}' }] },
		);
		mock.on({ userMessage: "refund order 8", hasToolResult: true }, { content: "Not refunded." });
		await using t = await setupTest(registry);
		const ann = t.client.assistant.getOrCreate("deny", { params: { user: "ann" } }).connect();
		const sees = watch(ann);
		toolCalls.length = 0;
		const first = await ann.prompt("refund order 8");
		await expect.poll(() => ann.sharedState?.pending?.callId, { timeout: 5_000 }).toBeDefined();
		await ann.confirm(ann.sharedState?.pending?.callId as string, false);
		await sees.ended(first.turnId);
		const second = await ann.prompt("refund order 8");
		await expect
			.poll(() => ann.sharedState?.pending?.turnId, { timeout: 5_000 })
			.toBe(second.turnId);
		expect(await ann.stop()).toBe(true);
		await sees.ended(second.turnId);
		expect(sees.turns.at(-1)?.status).toBe("stopped");
		expect(toolCalls).toEqual([]);
		const results = (await ann.history()).filter((m) => m.role === "tool");
		expect(results.map((m) => [m.status, JSON.parse(m.content).error])).toEqual([
			["denied", "not run: the user denied this call"],
			["denied", "not run: the turn was stopped"],
		]);
		await ann.dispose();
	});

	// An attacker probe (2026-11-28): confirm then stop at once: stop answered true (no call was
	// pending any more) and the approved refund ran anyway.
	it("a stop right after an approval keeps the approved tool from running", async () => {
		mock.on(
			{ userMessage: "refund order 5", hasToolResult: false },
			{ toolCalls: [{ name: "refund_order", arguments: '{"orderId":"5"}' }] },
		);
		mock.on({ userMessage: "refund order 5", hasToolResult: true }, { content: "Stopped." });
		await using t = await setupTest(registry);
		const ann = t.client.assistant
			.getOrCreate("approve-stop", { params: { user: "ann" } })
			.connect();
		const sees = watch(ann);
		toolCalls.length = 0;
		const { turnId } = await ann.prompt("refund order 5");
		await expect.poll(() => ann.sharedState?.pending?.callId, { timeout: 5_000 }).toBeDefined();
		const callId = ann.sharedState?.pending?.callId as string;
		const [, stopped] = await Promise.all([ann.confirm(callId, true), ann.stop()]);
		expect(stopped).toBe(true);
		await sees.ended(turnId);
		expect(sees.turns.at(-1)?.status).toBe("stopped");
		expect(toolCalls).toEqual([]);
		const results = (await ann.history()).filter((m) => m.role === "tool");
		expect(results.map((m) => [m.status, JSON.parse(m.content).error])).toEqual([
			["denied", "not run: the turn was stopped"],
		]);
		await ann.dispose();
	});

	// An attacker probe (2026-11-29): 1,100 stops at once each queued a denial; hundreds
	// stayed in the queue after the turn, each read by a later wait.
	it("many stops at once queue one denial for the pending call", async () => {
		mock.on(
			{ userMessage: "refund order 9", hasToolResult: false },
			{ toolCalls: [{ name: "refund_order", arguments: '{"orderId":"9"}' }] },
		);
		mock.on({ userMessage: "refund order 9", hasToolResult: true }, { content: "Stopped." });
		await using t = await setupTest(registry);
		const handle = t.client.assistant.getOrCreate("stops", { params: { user: "ann" } });
		const ann = handle.connect();
		const sees = watch(ann);
		const { turnId } = await ann.prompt("refund order 9");
		await expect.poll(() => ann.sharedState?.pending?.callId, { timeout: 5_000 }).toBeDefined();
		const stops = await Promise.all(Array.from({ length: 50 }, () => ann.stop()));
		expect(stops.every((stopped) => stopped === true)).toBe(true);
		await sees.ended(turnId);
		expect(sees.turns.at(-1)?.status).toBe("stopped");
		const id = await handle.resolve();
		const queue = await fetch(`${t.url}/inspector/actors/${id}/queue`, {
			headers: { authorization: `Bearer ${INSPECTOR_TOKEN}` },
		});
		expect(((await queue.json()) as { messages: unknown[] }).messages).toEqual([]);
		await ann.dispose();
	});
});
