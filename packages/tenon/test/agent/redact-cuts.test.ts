// Secrets that left in part (an attacker probe, 2026-11-28): a configured secret
// or a pattern's match with spaces, streamed word by word, left every word but
// its last; a refused call's reason and a call kept without its arguments were
// cut before they were redacted, so a secret the cut crossed showed its head.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AnswerBudget } from "../../src/agent/answer-budget.js";
import { checkModelCall } from "../../src/agent/call-check.js";
import { defineTool } from "../../src/agent/index.js";
import { preview } from "../../src/agent/openai-chunks.js";
import { COMMON_SECRET_PATTERNS, Redactor, StreamRedactor } from "../../src/agent/redact.js";
import { cutBeforeWord } from "../../src/common/text-cut.js";

const PASSPHRASE = "zebra quasar nimbus staple";
const CARD = /\b\d{4} \d{4} \d{4} \d{4}\b/;
const redactor = new Redactor({
	secrets: [PASSPHRASE],
	patterns: [...COMMON_SECRET_PATTERNS, CARD],
});

function stream(pieces: readonly string[], using = redactor): string {
	const streaming = new StreamRedactor(using, 64);
	let out = "";
	for (const piece of pieces) out += streaming.push(piece);
	return out + streaming.end();
}

/** `text` as a model streams it: a word (with the space before it) per token. */
const byWord = (text: string) => text.split(/(?= )/);

describe("a secret with spaces, streamed word by word", () => {
	it("leaves none of a configured secret's words (it left all but the last)", () => {
		const out = stream(byWord(`The passphrase is ${PASSPHRASE} ok.`));
		expect(out).toBe("The passphrase is [redacted] ok.");
	});

	it("leaves none of a custom pattern's match spanning words", () => {
		const out = stream(byWord("Your card is 4111 1111 1111 1111 thanks."));
		expect(out).toBe("Your card is [redacted] thanks.");
	});

	it("lets no part out that redacting the whole text would catch, however the stream is cut", () => {
		const words = fc.array(
			fc.oneof(
				fc.constantFrom("zebra", "quasar", "nimbus", "staple", "4111", "1111", "the", "\n"),
				fc.constant(PASSPHRASE),
				fc.constant("4111 1111 1111 1111"),
			),
			{ maxLength: 30 },
		);
		fc.assert(
			fc.property(words, fc.array(fc.nat(), { maxLength: 20 }), (list, points) => {
				const text = list.join(" ");
				const sorted = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
				const pieces: string[] = [];
				let from = 0;
				for (const point of sorted) {
					pieces.push(text.slice(from, point));
					from = point;
				}
				pieces.push(text.slice(from));
				const out = stream(pieces);
				const whole = redactor.redact(text);
				for (const fragment of ["zebra quasar", "quasar nimbus", "nimbus staple", "4111 1111 1111"])
					if (!whole.includes(fragment)) expect(out).not.toContain(fragment);
			}),
			{ numRuns: 2_000 },
		);
	});

	it("a stream stopped (or ended) on the start of a secret redacts that start (a review)", () => {
		const streaming = new StreamRedactor(redactor, 64);
		let out = "";
		for (const piece of ["the key is ", "zebra ", "quasar ", "nimbus "])
			out += streaming.push(piece);
		out += streaming.end();
		expect(out).toBe("the key is [redacted]");
		// A letter or three that could begin it stay: ordinary answers end so.
		const short = new StreamRedactor(redactor, 64);
		expect(short.push("I saw a ze") + short.end()).toBe("I saw a ze");
	});

	it("still streams word by word when nothing can be starting a secret", () => {
		const streaming = new StreamRedactor(new Redactor({ secrets: [PASSPHRASE] }), 64);
		expect(streaming.push("Hello wor")).toBe("Hello ");
		expect(streaming.push("ld, zeb")).toBe("world, ");
		// "zeb" may start the passphrase: held until the next word says it does not.
		expect(streaming.push("ra crossing")).toBe("zebra ");
		expect(streaming.end()).toBe("crossing");
	});

	it("holds back the redactor's streamHoldback for custom patterns, none for the common ones", () => {
		expect(new Redactor({ patterns: COMMON_SECRET_PATTERNS }).streamHoldback).toBe(0);
		expect(redactor.streamHoldback).toBe(64);
		expect(new Redactor({ patterns: [CARD], streamHoldback: 0 }).streamHoldback).toBe(0);
		expect(() => new Redactor({ streamHoldback: -1 })).toThrow(/streamHoldback/);
		expect(() => new Redactor({ streamHoldback: 1e9 })).toThrow(/streamHoldback/);
		const streaming = new StreamRedactor(new Redactor({ patterns: [CARD], streamHoldback: 8 }), 64);
		expect(streaming.push("one two three four")).toBe("one two ");
	});

	it("finds the start of a secret at the end in time linear in its length", () => {
		const long = "a".repeat(4_096);
		const hostile = new Redactor({ secrets: [long] });
		const started = performance.now();
		for (let i = 0; i < 1_000; i++)
			expect(hostile.partialSecretFrom(`x${"a".repeat(4_000)}`)).toBe(1);
		expect(performance.now() - started).toBeLessThan(2_000);
		expect(hostile.partialSecretFrom("xyz")).toBe(-1);
		expect(new Redactor({ secrets: ["abab"] }).partialSecretFrom("..abab")).toBe(4);
	});
});

const SECRET = "Db-pa55w0rd-2026!-0123456789";
const keyed = new Redactor({ secrets: [SECRET] });
const tool = defineTool({
	name: "lookup",
	description: "",
	input: z.object({ q: z.string() }).strict(),
	execute: () => 1,
});

describe("a refused call's reason", () => {
	it("does not quote arguments that are not JSON", async () => {
		const check = await checkModelCall([tool], keyed, "lookup", `{"q": ${SECRET}}`);
		expect(check).toEqual({ ok: false, reason: "arguments are not valid JSON" });
		const proto = await checkModelCall([tool], keyed, "lookup", '{"__proto__": {}}');
		expect(proto).toEqual({
			ok: false,
			reason: "arguments are not valid JSON (a '__proto__' key)",
		});
	});

	it("is redacted before it is cut, wherever the cut falls in a secret", async () => {
		for (let pad = 1_940; pad < 2_000; pad++) {
			const args = JSON.stringify({ q: "x", ["p".repeat(pad)]: 1, [SECRET]: 1 });
			const check = await checkModelCall([tool], keyed, "lookup", args);
			if (check.ok) throw new Error("the call was not refused");
			expect(check.reason).not.toContain(SECRET.slice(0, 8));
		}
	});

	it("names an unknown tool with its name redacted before it is cut", async () => {
		for (let pad = 50; pad < 64; pad++) {
			const check = await checkModelCall([tool], keyed, `${"n".repeat(pad)}${SECRET}`, "{}");
			if (check.ok) throw new Error("the call was not refused");
			expect(check.reason).not.toContain(SECRET.slice(0, 6));
		}
	});
});

describe("a call kept without its arguments", () => {
	it("has its id and name redacted before they are cut", () => {
		for (let pad = 40; pad < 64; pad++) {
			const budget = new AnswerBudget(100, keyed);
			const kept = budget.call(
				{
					id: `${"i".repeat(pad)}${SECRET}`,
					name: `${"n".repeat(pad + 64)}${SECRET}`,
					arguments: "x".repeat(200),
				},
				0,
			);
			expect(kept.id).not.toContain(SECRET.slice(0, 6));
			expect(kept.name).not.toContain(SECRET.slice(0, 6));
			expect(kept.id.length).toBeLessThanOrEqual(64);
			expect(kept.arguments).toBe("{}");
			expect(budget.refusal(kept)).toMatch(/its id, name and arguments did not fit/);
		}
	});
});

describe("a model server's text, cut before it is redacted", () => {
	it("drops the word the cut falls in, so a key never shows its head", () => {
		const key = "sk-abcdefghijklmnopqrstuvwxyz0123456789";
		for (let pad = 470; pad < 500; pad++) {
			const shown = preview(`${"e".repeat(pad)} ${key} more`);
			expect(shown).not.toContain("sk-");
			expect(shown.length).toBeLessThanOrEqual(503);
		}
		expect(cutBeforeWord("one two three", 6)).toBe("one");
		expect(cutBeforeWord("one two three", 7)).toBe("one two");
		expect(cutBeforeWord("onetwothree", 5)).toBe("");
		expect(cutBeforeWord("short", 10)).toBe("short");
	});
});
