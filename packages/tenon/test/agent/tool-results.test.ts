// A tool's result reached the model as `JSON.stringify` of it: a BigInt in it
// threw after the tool had run, so the step was recorded as failed and the
// model was told "the tool failed" (and could run a refund again); a cycle
// threw the same way; a Map or Set read as `{}`. A result is now written out
// as the approval display writes a call's input, and a part of it that cannot
// be read never makes a tool that ran count as failed.
// A reviewer's probe (2026-11-25): a configured secret holding a quote or a
// backslash, in a result that is not a string, reached the model (the text
// was escaped, then redacted); and a long result that redaction shortened
// by more than the margin showed the head of a secret cut past the margin.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentActor, type ChatModel, defineTool } from "../../src/agent/index.js";
import { COMMON_SECRET_PATTERNS, Redactor } from "../../src/agent/redact.js";
import { toolResultText, UNWRITABLE_RESULT } from "../../src/agent/tool-result.js";
import { annTalksTo, says, scripted, toolCall, toolCallsDone } from "./scripted-model.js";

/** A configured secret that JSON escapes: it read as another text once escaped. */
const QUOTED = 'db-pass"w0rd\\7f3a9c';

/** What each tool returns, by name; `runs` counts the calls that ran. */
const results: Record<string, () => unknown> = {
	config: () => ({ host: "db.internal", password: QUOTED, by: new Map([[QUOTED, "admin"]]) }),
	refund: () => ({ refunded: 12n, items: new Map([["a", 1]]), tags: new Set(["x"]) }),
	cyclic: () => {
		const loop: Record<string, unknown> = { name: "loop" };
		loop.self = loop;
		return loop;
	},
	unreadable: () => ({
		ok: true,
		get detail(): string {
			throw new Error("a getter that throws");
		},
	}),
	revoked: () => {
		const { proxy, revoke } = Proxy.revocable({}, {});
		revoke();
		return { done: true, handle: proxy };
	},
	nothing: () => undefined,
};
const runs: string[] = [];
const tools = Object.entries(results).map(([name, result]) =>
	defineTool({
		name,
		description: `returns a ${name} result`,
		input: z.object({}).strict(),
		execute: () => {
			runs.push(name);
			return result();
		},
	}),
);

/** A server with an agent on `model`, and Ann's connection to one conversation. */
function converse(model: ChatModel) {
	const agent = agentActor({
		model,
		tools,
		modelRetries: 0,
		redact: { secrets: [QUOTED] },
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
	});
	return annTalksTo(agent);
}

/**
 * Runs one turn in which the model calls `tool` once, then answers; returns
 * the result as the model read it in its next request, and as the transcript
 * keeps it.
 */
async function callOnce(tool: string) {
	const model = scripted((call) =>
		call === 1 ? [toolCall("c1", tool, "{}"), toolCallsDone] : says("ok"),
	);
	await using chat = await converse(model);
	const { conn, turns } = chat;
	runs.length = 0;
	const { turnId } = await conn.prompt(`call ${tool}`);
	const end = await turns.ended(turnId);
	const seen = model.requests[1]?.messages.find((m) => m.role === "tool");
	const stored = (await conn.history()).find((m) => m.role === "tool");
	return { end, runs: [...runs], modelCalls: model.calls, seen, stored };
}

describe("a tool's result as the model reads it", () => {
	it("shows a BigInt, a Map and a Set, and a tool that ran counts as run (once)", async () => {
		const { end, runs, modelCalls, seen, stored } = await callOnce("refund");
		expect(runs).toEqual(["refund"]);
		expect(end).toMatchObject({ status: "done", error: null });
		expect(modelCalls).toBe(2);
		expect(seen?.content).toBe('{"refunded":"12","items":{"a":1},"tags":["x"]}');
		expect(seen?.toolCallId).toBe("c1");
		expect(stored).toMatchObject({ status: "complete", content: seen?.content });
	});

	it("hides a configured secret holding a quote or a backslash, as a value and as a Map's key", async () => {
		const { end, seen, stored } = await callOnce("config");
		expect(end.status).toBe("done");
		expect(seen?.content).toBe(
			'{"host":"db.internal","password":"[redacted]","by":{"[redacted]":"admin"}}',
		);
		expect(stored?.content).toBe(seen?.content);
	});

	it("shows a value met again inside itself as [circular]", async () => {
		const { end, runs, seen, stored } = await callOnce("cyclic");
		expect(runs).toEqual(["cyclic"]);
		expect(end.status).toBe("done");
		expect(seen?.content).toBe('{"name":"loop","self":"[circular]"}');
		expect(stored?.status).toBe("complete");
	});

	it("shows what cannot be read as [unreadable], and the tool still counts as run", async () => {
		const getter = await callOnce("unreadable");
		expect(getter.runs).toEqual(["unreadable"]);
		expect(getter.end.status).toBe("done");
		expect(getter.seen?.content).toBe('{"ok":true,"detail":"[unreadable]"}');
		expect(getter.stored?.status).toBe("complete");

		const revoked = await callOnce("revoked");
		expect(revoked.runs).toEqual(["revoked"]);
		expect(revoked.seen?.content).toBe('{"done":true,"handle":"[unreadable]"}');
		expect(revoked.stored?.status).toBe("complete");
	});

	it("shows a tool that returned nothing as null", async () => {
		const { runs, seen, stored } = await callOnce("nothing");
		expect(runs).toEqual(["nothing"]);
		expect(seen?.content).toBe("null");
		expect(stored?.status).toBe("complete");
	});
});

describe("toolResultText", () => {
	const SECRET = "tool-result-secret-91c4d2";
	const redactor = new Redactor({ secrets: [SECRET], patterns: COMMON_SECRET_PATTERNS });
	const text = (value: unknown, maxChars = 16_000) => toolResultText(value, redactor, maxChars);

	it("keeps a string as it is, and writes plain data as JSON.stringify does", () => {
		expect(text('a "quoted" line')).toBe('a "quoted" line');
		const plain = { orderId: "A-1001", n: 3, ok: true, none: null, list: [1, "two", { x: [] }] };
		expect(text(plain)).toBe(JSON.stringify(plain));
	});

	it("takes back what a part that throws half-way wrote, and shows it as [unreadable]", () => {
		const items = new Proxy([1, 2, 3], {
			get: (target, key, receiver) => {
				if (key === "1") throw new Error("the second item is gone");
				return Reflect.get(target, key, receiver);
			},
		});
		expect(text({ items, after: 1 })).toBe('{"items":"[unreadable]","after":1}');
	});

	it("cuts a long result, redacted, saying how long it was", () => {
		expect(text("x".repeat(1_000), 100)).toBe(`${"x".repeat(100)}... [cut: 1000 characters]`);
		const crossing = text({ text: `${"x".repeat(90)}${SECRET}` }, 100);
		expect(crossing).not.toContain(SECRET.slice(0, 4));
		// Written out past the cut, redacted: `{"text":"x…x[redacted]` is 110 characters.
		expect(crossing).toMatch(/\.\.\. \[cut: at least 110 characters\]$/);
	});

	it("lets no head of a secret out past a cut that redaction moved (a long private key before it)", () => {
		const long = "LongConfiguredSecretValue0123456789abcdefABCDEF0123456789";
		const longRedactor = new Redactor({ secrets: [long], patterns: COMMON_SECRET_PATTERNS });
		// 20 000 characters of key become `[redacted]`: the text shrinks by more than 16 KiB.
		const key = `-----BEGIN PRIVATE KEY-----${"A".repeat(20_000)}-----END PRIVATE KEY-----`;
		const before = key + "x".repeat(16_000 + 16 * 1024 - key.length - 30);
		for (const after of [" tail", "y".repeat(100_000)]) {
			const raw = before + long + after;
			for (const result of [raw, { text: raw }]) {
				const shown = toolResultText(result, longRedactor, 16_000);
				expect(shown).not.toContain(long.slice(0, 8));
				expect(shown).toContain("[redacted]");
			}
		}
	});

	it("stops writing a huge result out at its cut, and says at least how long", () => {
		// Built before the clock starts: under load, building it took longer than the bound.
		const huge = new Map(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, new Set([i])]));
		const started = performance.now();
		const many = text(huge);
		expect(performance.now() - started).toBeLessThan(500);
		expect(many.startsWith('{"k0":[0],"k1":[1],')).toBe(true);
		expect(many).toMatch(/^.{16000}\.\.\. \[cut: at least \d+ characters\]$/s);
		const shown = Number(/at least (\d+)/.exec(many)?.[1]);
		expect(shown).toBeGreaterThan(16_000);
		expect(shown).toBeLessThan(16_000 + 100);
	});

	it("never throws: a result it cannot write out at all says the tool ran", () => {
		class BrokenRedactor extends Redactor {
			override redact(): string {
				throw new Error(`cannot redact ${SECRET}`);
			}
		}
		expect(toolResultText({ refunded: 12n }, new BrokenRedactor(), 100)).toBe(UNWRITABLE_RESULT);
		expect(UNWRITABLE_RESULT).toContain("the tool ran");
	});
});
