// Private keys in a streamed answer (a review, 2026-11-26): a key's END line
// arriving in tokens (`-----END`, ` RSA`, ...) ended its hold at `-----END `,
// before the line was whole, and its body left in clear; a key that never
// ended was released in clear once 16 KiB followed it; and each delta
// rescanned all that was held since its BEGIN line (quadratic in the answer).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMMON_SECRET_PATTERNS, Redactor, StreamRedactor } from "../../src/agent/redact.js";

const redactor = new Redactor({ patterns: COMMON_SECRET_PATTERNS });
const BODY = ["MIIEowIBAAKCAQEAx3mLk9zQvH8dG2w", "n7nR4c1Z5bK0pP1fT3uX2sY8kL6mJ9q"];
const KEY = ["-----BEGIN RSA PRIVATE KEY-----", ...BODY, "-----END RSA PRIVATE KEY-----"].join(
	"\n",
);

function stream(pieces: readonly string[], holdback?: number): string {
	const streaming = new StreamRedactor(redactor, holdback);
	let out = "";
	for (const piece of pieces) out += streaming.push(piece);
	return out + streaming.end();
}

/** Milliseconds to push `text` through a StreamRedactor in `size`-character deltas. */
function streamCost(text: string, size: number): number {
	const streaming = new StreamRedactor(redactor);
	const started = performance.now();
	for (let at = 0; at < text.length; at += size) streaming.push(text.slice(at, at + size));
	streaming.end();
	return performance.now() - started;
}

describe("a private key in a streamed answer", () => {
	it("leaves none of its body when its END line comes in a model's tokens", () => {
		const tokens = [
			"Key:\n",
			"-----BEGIN",
			" RSA",
			" PRIVATE",
			" KEY-----\n",
			`${BODY[0]}\n`,
			`${BODY[1]}\n`,
			"-----END",
			" RSA",
			" PRIVATE",
			" KEY-----",
			"\nbye now",
		];
		expect(stream(tokens)).toBe("Key:\n[redacted]\nbye now");
	});

	it("leaves none of its body however the answer is cut", () => {
		const text = `Here it is:\n${KEY}\nthat was the key.`;
		fc.assert(
			fc.property(fc.array(fc.nat({ max: text.length }), { maxLength: 40 }), (points) => {
				const sorted = [...new Set(points)].sort((a, b) => a - b);
				const pieces = [0, ...sorted].map((from, i) => text.slice(from, sorted[i] ?? text.length));
				const out = stream(pieces, 64);
				for (const line of BODY) expect(out).not.toContain(line.slice(0, 12));
				expect(out).toContain("that was the key.");
			}),
			{ numRuns: 2_000 },
		);
	});

	it("that never ends is redacted to the end of the answer, however much follows", () => {
		const body = "MIIEowIBAAKCAQEAzKEYMATERIAL".repeat(80);
		const answer = `Here it is:\n-----BEGIN RSA PRIVATE KEY-----\n${body}\nThat was all. ${"More words. ".repeat(2_000)}`;
		const pieces = answer.match(/[\s\S]{1,4}/g) ?? [];
		expect(stream(pieces)).toBe("Here it is:\n[redacted]");
	});

	it("that never ends costs time linear in the answer", () => {
		// 16 windows of a BEGIN line and 16 KiB of body without an END line.
		const hostile = `-----BEGIN RSA PRIVATE KEY-----\n${"QUJD".repeat(4 * 1024)}`.repeat(16);
		const plain = "word ".repeat(Math.ceil(hostile.length / 5)).slice(0, hostile.length);
		streamCost(plain, 4); // warm-up
		const plainMs = streamCost(plain, 4);
		const hostileMs = streamCost(hostile, 4);
		// Quadratic, it took 30 times the plain text's time (2.4 s against 70 ms).
		expect(hostileMs).toBeLessThan(Math.max(100, plainMs * 5));
	});
});
