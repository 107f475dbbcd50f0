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

describe("secrets a stream used to let out (an attacker probe, 2026-11-25)", () => {
	const KEY = [
		"-----BEGIN RSA PRIVATE KEY-----",
		"MIIEowIBAAKCAQEAx3mLk9zQvH8dG2w",
		"n7nR4c1Z5bK0pP1fT3uX2sY8kL6mJ9q",
		"-----END RSA PRIVATE KEY-----",
	].join("\n");

	it("a private key streamed line by line leaves none of its lines", () => {
		for (const ending of ["\nthat was the key.", ""]) {
			const text = `Here it is:\n${KEY}${ending}`;
			const lines = text.split(/(?<=\n)/);
			const released: string[] = [];
			const streaming = new StreamRedactor(redactor, 64);
			for (const line of lines) released.push(streaming.push(line));
			released.push(streaming.end());
			const out = released.join("");
			expect(out).not.toContain("MIIEow");
			expect(out).not.toContain("n7nR4c");
			expect(out).toContain("Here it is:");
		}
		// A key cut off before its END is redacted to the end of the stream.
		const cutOff = new StreamRedactor(redactor, 64);
		const out = cutOff.push(`${KEY.slice(0, 70)}\n`) + cutOff.end();
		expect(out).not.toContain("MIIEow");
	});

	it("holds nothing back for a header that is not a private key's", () => {
		const text =
			"A certificate starts with -----BEGIN CERTIFICATE----- and ends with its END line; " +
			"a key's header reads -----BEGIN PRIVATE KEY and so on.";
		const streaming = new StreamRedactor(redactor, 64);
		let early = "";
		for (const word of text.split(/(?<= )/)) early += streaming.push(word);
		expect(early).toContain("and ends with its END line;");
		expect(early + streaming.end()).toBe(text);
	});

	it("a configured secret longer than the holdback, streamed a few characters at a time, never leaves", () => {
		const jwt = `eyJ${"a1B2c3D4".repeat(42)}`;
		const withJwt = new Redactor({ secrets: [jwt] });
		for (const size of [4, 64]) {
			const streaming = new StreamRedactor(withJwt, 256);
			let out = "";
			const text = `token: ${jwt} done`;
			for (let at = 0; at < text.length; at += size)
				out += streaming.push(text.slice(at, at + size));
			out += streaming.end();
			expect(out).toBe("token: [redacted] done");
		}
	});
});
