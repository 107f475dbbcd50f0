// Secrets never leave in part: the streaming redactor releases text only
// where redacting more of the stream would not change it, so however a
// model's answer is cut into tokens, no secret (or its tail) gets out.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMMON_SECRET_PATTERNS, Redactor, StreamRedactor } from "../../src/agent/redact.js";

const SECRET = "correct-horse-battery-staple";
const redactor = new Redactor({ secrets: [SECRET], patterns: COMMON_SECRET_PATTERNS });

/** Cuts `text` at the given points (token boundaries). */
function cut(text: string, points: number[]): string[] {
	const sorted = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
	const pieces: string[] = [];
	let from = 0;
	for (const point of sorted) {
		pieces.push(text.slice(from, point));
		from = point;
	}
	pieces.push(text.slice(from));
	return pieces;
}

function stream(pieces: string[]): string {
	const streaming = new StreamRedactor(redactor, 64);
	let out = "";
	for (const piece of pieces) out += streaming.push(piece);
	return out + streaming.end();
}

const words = fc.array(
	fc.oneof(
		fc.constantFrom("the", "quick", "fox", "Bearer", "key:", "\n", "sk-", "ghp_"),
		fc.stringMatching(/^[a-z]{1,8}$/),
		fc.constant(SECRET),
		fc.constant("sk-abcdefghijklmnopqrstuvwxyz012345"),
		fc.constant("Bearer abcdefghijklmnopqrstuvwxyz.0123456789"),
		fc.constant("ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
		fc.constant("AKIAABCDEFGHIJKLMNOP"),
	),
	{ maxLength: 40 },
);

describe("StreamRedactor", () => {
	it("lets no secret out that redacting the whole text would catch, however the stream is cut", () => {
		const fragments = [
			SECRET,
			"abcdefghijklmnopqrstuvwxyz",
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
			"AKIAABCDEFGHIJKLMNOP",
		];
		fc.assert(
			fc.property(
				words,
				fc.constantFrom(" ", "", "\n"),
				fc.array(fc.nat(), { maxLength: 30 }),
				(list, glue, points) => {
					const text = list.join(glue);
					const whole = redactor.redact(text);
					const out = stream(cut(text, points));
					for (const fragment of fragments)
						if (!whole.includes(fragment)) expect(out).not.toContain(fragment);
				},
			),
			{ numRuns: 3_000 },
		);
	});

	it("changes nothing in text without secrets, and releases it word by word", () => {
		fc.assert(
			fc.property(
				fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 50 }),
				fc.array(fc.nat(), { maxLength: 30 }),
				(list, points) => {
					const text = list.join(" ");
					expect(stream(cut(text, points))).toBe(text);
				},
			),
		);
		const streaming = new StreamRedactor(redactor, 64);
		expect(streaming.push("Hello wor")).toBe("Hello ");
		expect(streaming.push("ld, how")).toBe("world, ");
		expect(streaming.end()).toBe("how");
	});

	it("catches a secret whose start was already released", () => {
		const streaming = new StreamRedactor(redactor, 64);
		let out = streaming.push("use Bearer ");
		out += streaming.push("abcdefghijklmnopqrstuvwxyz0123 now");
		out += streaming.end();
		expect(out).not.toContain("abcdefghijklmnopqrstuvwxyz");
		expect(out).toContain("[redacted]");
	});
});
