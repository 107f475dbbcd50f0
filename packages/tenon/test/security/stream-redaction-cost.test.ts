// A model's answer is untrusted (a prompt can steer it): an answer of `sk-`
// and then one character per token kept a growing secret, up to 64 KiB, as
// the stream redactor's context, and every token searched all of it again:
// 100,000 tokens blocked the loop for 20 s (an attacker probe, 2026-11-26).
// A delta held back for a secret crossing the cut is now only held until the
// held text doubles (or must be released).
import { describe, expect, it } from "vitest";
import { agentActor } from "../../src/agent/index.js";
import { COMMON_SECRET_PATTERNS, Redactor, StreamRedactor } from "../../src/agent/redact.js";
import { annTalksTo, scripted } from "../agent/scripted-model.js";
import { worstStallDuring } from "../helpers/loop-stalls.js";

const TOKENS = 50_000;

describe("a model streaming a secret one character per token", () => {
	it("costs the stream redactor time linear in the answer", () => {
		for (const start of ["sk-", "Bearer "]) {
			const streaming = new StreamRedactor(new Redactor({ patterns: COMMON_SECRET_PATTERNS }));
			const started = performance.now();
			let out = streaming.push(start);
			for (let i = 0; i < TOKENS; i++) out += streaming.push("a");
			out += streaming.end();
			expect(performance.now() - started).toBeLessThan(1_000);
			// All of it stays hidden.
			expect(out).not.toMatch(/a{16}/);
			expect(out).toContain("[redacted]");
		}
	});

	it("does not block the loop in a turn, and is not shown", async () => {
		const model = scripted(() => [
			{ type: "text", delta: "key: sk-" },
			...Array.from({ length: TOKENS }, () => ({ type: "text" as const, delta: "a" })),
			{ type: "text", delta: " done" },
			{ type: "done", finishReason: "stop" },
		]);
		await using chat = await annTalksTo(
			agentActor({
				model,
				createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
				identify: (conn) => ({ id: conn.state.user }),
			}),
		);
		const { conn, turns } = chat;
		const worst = await worstStallDuring(async () => {
			const { turnId } = await conn.prompt("tell me the key");
			expect((await turns.ended(turnId)).status).toBe("done");
		});
		expect(worst).toBeLessThan(1_000);
		const answer = JSON.stringify(await conn.history());
		expect(answer).not.toMatch(/a{16}/);
		expect(answer).toContain(" done");
	});
});
