// What a failing or hostile tool round does to a turn (an attacker probe,
// 2026-11-26): a tool that ignored its signal and never settled wedged the
// conversation past its timeout and any stop (and the server's shutdown with
// it); a crashing tool's error message, with the file paths it held, reached
// the model and every participant; and a model asking for thousands of tool
// calls with empty ids and names (which cost nothing of maxAnswerChars) ran
// them all, blocking the loop for a second while their ids were made unique.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentActor, type ChatModel, defineTool } from "../../src/agent/index.js";
import { UserError } from "../../src/index.js";
import { worstStallDuring } from "../helpers/loop-stalls.js";
import {
	annTalksTo,
	toolCallsDone as done,
	says,
	scripted,
	toolCall,
	within,
} from "./scripted-model.js";

let runs = 0;
const stuck = defineTool({
	name: "stuck",
	description: "Never settles, and ignores its signal",
	input: z.object({}).strict(),
	timeoutMs: 300,
	execute: () => {
		runs++;
		return new Promise<never>(() => {});
	},
});
const crashing = defineTool({
	name: "crashing",
	description: "Fails with an internal error",
	input: z.object({}).strict(),
	execute: () => {
		throw new TypeError("ENOENT: open '/srv/app/config/db.json' at Db.connect (/srv/app/db.ts:42)");
	},
});
const refusing = defineTool({
	name: "refusing",
	description: "Fails with an error meant for the model",
	input: z.object({}).strict(),
	execute: () => {
		throw new UserError("order A-1 is not yours", { code: "not_yours" });
	},
});
const lookup = defineTool({
	name: "lookup",
	description: "Looks something up",
	input: z.object({}).passthrough(),
	execute: () => {
		runs++;
		return "found";
	},
});

function agentOf(model: ChatModel) {
	return agentActor({
		model,
		tools: [stuck, crashing, refusing, lookup],
		maxToolRounds: 1,
		maxToolCalls: 20,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
	});
}

describe("a tool that never settles and ignores its signal", () => {
	it("ends at its timeout: the turn goes on, the next prompt runs, the server closes", async () => {
		const model = scripted((call) =>
			call === 1 ? [toolCall("s1", "stuck", "{}"), done] : says("ok"),
		);
		const chat = await annTalksTo(agentOf(model));
		const { conn, turns } = chat;
		runs = 0;
		const first = await conn.prompt("go");
		expect((await turns.ended(first.turnId)).status).toBe("done");
		expect(runs).toBe(1);
		const result = (await conn.history()).find((m) => m.role === "tool");
		expect(result?.status).toBe("failed");
		expect(result?.content).toContain("agent/tool_timeout: the tool did not finish within 300 ms");
		const second = await conn.prompt("and now?");
		expect((await turns.ended(second.turnId)).status).toBe("done");
		expect(await within(chat[Symbol.asyncDispose](), 5_000)).toBeUndefined();
	});

	it("ends when the user stops the turn", async () => {
		const model = scripted((call) =>
			call === 1 ? [toolCall("s1", "stuck", "{}"), done] : says("ok"),
		);
		await using chat = await annTalksTo(
			agentActor({
				model,
				tools: [defineTool({ ...stuck, timeoutMs: 60_000 })],
				createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
				identify: (conn) => ({ id: conn.state.user }),
			}),
		);
		const { conn, turns } = chat;
		runs = 0;
		const { turnId } = await conn.prompt("go");
		await expect.poll(() => runs, { timeout: 5_000 }).toBe(1);
		expect(await conn.stop()).toBe(true);
		expect((await turns.ended(turnId)).status).toBe("stopped");
		const result = (await conn.history()).find((m) => m.role === "tool");
		expect(result?.content).toContain("agent/stopped: the turn was stopped");
	});
});

describe("a tool that throws", () => {
	it("an internal error: the model and the transcript get no detail of it", async () => {
		const model = scripted((call) =>
			call === 1
				? [toolCall("c1", "crashing", "{}"), toolCall("c2", "refusing", "{}"), done]
				: says("ok"),
		);
		await using chat = await annTalksTo(agentOf(model));
		const { conn, turns } = chat;
		const { turnId } = await conn.prompt("go");
		expect((await turns.ended(turnId)).status).toBe("done");
		const results = (await conn.history()).filter((m) => m.role === "tool");
		expect(results.map((m) => m.status)).toEqual(["failed", "failed"]);
		expect(results[0]?.content).toContain("the tool failed: core/internal_error");
		// An ActorError is meant for whoever reads it: it shows, with its group and code.
		expect(results[1]?.content).toContain(
			"the tool failed: user/not_yours: order A-1 is not yours",
		);
		const seen = JSON.stringify([await conn.history(), model.requests[1]?.messages]);
		expect(seen).not.toContain("/srv/app");
		expect(seen).not.toContain("ENOENT");
	});
});

describe("a model asking for more tool calls than maxToolCalls in one answer", () => {
	it("gets its answer cut: none of them runs, and the loop is not blocked", async () => {
		const flood = Array.from({ length: 3_000 }, () => toolCall("", "", ""));
		const model = scripted((call) =>
			call === 1 ? [...flood, toolCall("l1", "lookup", "{}"), done] : says("ok"),
		);
		await using chat = await annTalksTo(agentOf(model));
		const { conn, turns } = chat;
		runs = 0;
		const worst = await worstStallDuring(async () => {
			const { turnId } = await conn.prompt("go");
			expect((await turns.ended(turnId)).status).toBe("done");
		});
		expect(worst).toBeLessThan(500);
		expect(runs).toBe(0);
		const history = await conn.history();
		expect(history.filter((m) => m.role === "tool")).toEqual([]);
		expect(history.find((m) => m.role === "assistant")).toMatchObject({
			status: "truncated",
			toolCalls: null,
		});
	});

	it("up to maxToolCalls, they run", async () => {
		const calls = Array.from({ length: 20 }, (_, i) => toolCall(`l${i}`, "lookup", "{}"));
		const model = scripted((call) => (call === 1 ? [...calls, done] : says("ok")));
		await using chat = await annTalksTo(agentOf(model));
		const { conn, turns } = chat;
		runs = 0;
		const { turnId } = await conn.prompt("go");
		expect((await turns.ended(turnId)).status).toBe("done");
		expect(runs).toBe(20);
	});
});
