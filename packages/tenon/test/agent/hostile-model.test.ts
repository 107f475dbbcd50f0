// A model's output is untrusted like a client's (an attacker probe with a
// scripted model, 2026-11-25): one asking for tools in every answer made a
// turn call it without end; arguments naming a key twice showed a person one
// order to approve and ran another; a megabyte of private-key headers in
// arguments or in a tool's result froze the loop for seconds in redaction.
// A private key's BEGIN in one argument and its END in another hid the
// fields between from the person approving, and from the transcript: both
// were redacted as one text (a reviewer's probe, 2026-11-25).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentActor, type ChatModel, defineTool } from "../../src/agent/index.js";
import { COMMON_SECRET_PATTERNS, Redactor } from "../../src/agent/redact.js";
import { worstStallDuring } from "../helpers/loop-stalls.js";
import { annTalksTo, toolCallsDone as done, scripted, toolCall } from "./scripted-model.js";

const ran: { tool: string; input: unknown }[] = [];
const lookup = defineTool({
	name: "lookup",
	description: "Looks something up",
	input: z.object({ q: z.string() }).strict(),
	execute: (input) => {
		ran.push({ tool: "lookup", input });
		return "-----BEGIN PRIVATE KEY-----\n".repeat(80_000);
	},
});
const refund = defineTool({
	name: "refund_order",
	description: "Refunds an order",
	input: z.object({ orderId: z.string().max(20) }).strict(),
	risk: "high",
	execute: (input) => {
		ran.push({ tool: "refund_order", input });
		return { ok: true };
	},
});

const pay = defineTool({
	name: "pay",
	description: "Pays someone",
	input: z
		.object({ reason: z.string(), cents: z.number().int(), to: z.string(), memo: z.string() })
		.strict(),
	risk: "high",
	execute: (input) => {
		ran.push({ tool: "pay", input });
		return { ok: true };
	},
});

function agentOf(model: ChatModel) {
	return agentActor({
		model,
		system: "test",
		tools: [lookup, refund, pay],
		maxToolRounds: 2,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
	});
}

/** A server with an agent on `model`, and Ann's connection to one conversation (closed with it). */
function converse(model: ChatModel) {
	return annTalksTo(agentOf(model));
}

describe("a hostile model", () => {
	it("asking for tools in every answer gets one answer without tools, then the turn ends", async () => {
		const model = scripted((call) => [toolCall(`c${call}`, "lookup", '{"q":"again"}'), done]);
		await using chat = await converse(model);
		const { conn, turns } = chat;
		ran.length = 0;
		const { turnId } = await conn.prompt("go");
		const end = await turns.ended(turnId);
		expect(end.status).toBe("done");
		// Two rounds with tools, one without: three calls to the model, two tool runs.
		expect(model.calls).toBe(3);
		expect(ran.length).toBe(2);
		const history = await conn.history();
		const refusedCall = history.at(-1);
		expect(refusedCall).toMatchObject({ role: "tool", status: "failed" });
		expect(refusedCall?.content).toContain("no more tool calls");
	});

	it("naming a key twice, shows for approval what will run", async () => {
		const model = scripted((call) =>
			call === 1
				? [
						toolCall(
							"r1",
							"refund_order",
							`{"orderId":"A-1001",${" ".repeat(2_000)}"orderId":"A-9999"}`,
						),
						done,
					]
				: [
						{ type: "text", delta: "ok" },
						{ type: "done", finishReason: "stop" },
					],
		);
		await using chat = await converse(model);
		const { conn, turns } = chat;
		ran.length = 0;
		const { turnId } = await conn.prompt("refund");
		await expect
			.poll(() => conn.sharedState?.pending?.tool, { timeout: 5_000 })
			.toBe("refund_order");
		const pending = conn.sharedState?.pending;
		// JSON takes the last of a key given twice: that is what runs, and what is shown.
		expect(pending?.arguments).toBe('{"orderId":"A-9999"}');
		await conn.confirm(pending?.callId as string, true);
		await turns.ended(turnId);
		expect(ran).toEqual([{ tool: "refund_order", input: { orderId: "A-9999" } }]);
	});

	it("spanning a private key's BEGIN and END over two arguments, hides no field from the person approving", async () => {
		const args = JSON.stringify({
			reason: "rent -----BEGIN PRIVATE KEY-----",
			cents: 99_999_999,
			to: "mallory",
			memo: "-----END PRIVATE KEY----- thanks",
		});
		const model = scripted((call) =>
			call === 1
				? [toolCall("p1", "pay", args), done]
				: [
						{ type: "text", delta: "paid" },
						{ type: "done", finishReason: "stop" },
					],
		);
		await using chat = await converse(model);
		const { conn, turns } = chat;
		ran.length = 0;
		const { turnId } = await conn.prompt("pay my rent to bob, 1200 dollars");
		await expect.poll(() => conn.sharedState?.pending?.tool, { timeout: 5_000 }).toBe("pay");
		const pending = conn.sharedState?.pending;
		// Every field that will run is shown (no string alone holds a key): a
		// person sees the amount and the payee, and can deny.
		expect(pending?.arguments).toBe(args);
		const asked = (await conn.history()).find((m) => m.role === "assistant");
		expect(asked?.toolCalls?.[0]?.arguments).toBe(args);
		await conn.confirm(pending?.callId as string, false);
		expect((await turns.ended(turnId)).status).toBe("done");
		expect(ran).toEqual([]);
	});

	it("giving two calls one id, gets both results back, each paired with its call", async () => {
		const model = scripted((call) =>
			call === 1
				? [toolCall("same", "lookup", '{"q":"a"}'), toolCall("same", "lookup", '{"q":"b"}'), done]
				: [
						{ type: "text", delta: "ok" },
						{ type: "done", finishReason: "stop" },
					],
		);
		await using chat = await converse(model);
		const { conn, turns } = chat;
		const { turnId } = await conn.prompt("two");
		await turns.ended(turnId);
		const next = model.requests[1]?.messages ?? [];
		const asked = next.flatMap((m) => m.toolCalls?.map((call) => call.id) ?? []);
		const answered = next.filter((m) => m.role === "tool").map((m) => m.toolCallId);
		expect(new Set(asked).size).toBe(2);
		expect(answered.sort()).toEqual([...asked].sort());
	});

	it("echoing a secret in a tool's name, a call's id or an argument's key, shows it to no one", async () => {
		const secret = "sk-abcdefghijklmnopqrstuvwxyz012345";
		const model = scripted((call) =>
			call === 1
				? [
						toolCall(`id-${secret}`, secret, "{}"),
						toolCall("id-2", "lookup", `{"q":"x","${secret}":1}`),
						done,
					]
				: [
						{ type: "text", delta: "ok" },
						{ type: "done", finishReason: "stop" },
					],
		);
		await using chat = await converse(model);
		const { conn, turns } = chat;
		const seen: unknown[] = [];
		conn.on("message", (message) => seen.push(message));
		const { turnId } = await conn.prompt("echo");
		await turns.ended(turnId);
		expect(JSON.stringify(await conn.history())).not.toContain("abcdefghijklmnop");
		expect(JSON.stringify(seen)).not.toContain("abcdefghijklmnop");
		expect(JSON.stringify(model.requests[1]?.messages)).not.toContain("abcdefghijklmnop");
	});

	it("cannot make redaction take seconds, with private-key headers in its arguments or a tool's result", async () => {
		const headers = "-----BEGIN PRIVATE KEY-----\n".repeat(40_000);
		const redactor = new Redactor({ patterns: COMMON_SECRET_PATTERNS });
		const started = performance.now();
		expect(redactor.redact(headers)).toBe(headers);
		const key = "a -----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY----- b";
		expect(redactor.redact(`${headers}${key}`)).toContain("a [redacted] b");
		expect(performance.now() - started).toBeLessThan(500);
		// Through a turn: the tool returns 2 MB of them; the loop keeps serving.
		const model = scripted((call) =>
			call === 1
				? [toolCall("l1", "lookup", `{"q":"${"x".repeat(10)}"}`), done]
				: [
						{ type: "text", delta: "done" },
						{ type: "done", finishReason: "stop" },
					],
		);
		await using chat = await converse(model);
		const { conn, turns } = chat;
		const worst = await worstStallDuring(async () => {
			const { turnId } = await conn.prompt("look");
			expect((await turns.ended(turnId)).status).toBe("done");
		});
		expect(worst).toBeLessThan(500);
	});
});
