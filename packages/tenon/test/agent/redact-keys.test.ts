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

function bodyLines(seed: number, lines: number): string[] {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	let x = seed;
	const out: string[] = [];
	for (let l = 0; l < lines; l++) {
		let line = "";
		for (let i = 0; i < 64; i++) {
			x = (x * 1103515245 + 12345) % 2147483648;
			line += alphabet[(x >>> 16) % 64];
		}
		out.push(line);
	}
	return out;
}
const keyOf = (body: string[], kind = "RSA ") =>
	[`-----BEGIN ${kind}PRIVATE KEY-----`, ...body, `-----END ${kind}PRIVATE KEY-----`].join("\n");

function splitAt(text: string, points: number[]): string[] {
	const sorted = [...new Set(points)].sort((a, b) => a - b);
	return [0, ...sorted].map((from, i) => text.slice(from, sorted[i] ?? text.length));
}
const leaked = (out: string, body: string[]) =>
	body.filter((line) => out.includes(line.slice(0, 16)));

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

describe("private keys a review of the streaming redactor found getting out (2026-11-26)", () => {
	it("a key cut short (no END) followed by a whole key: neither body gets out", () => {
		const first = bodyLines(1, 3);
		const second = bodyLines(2, 3);
		const truncated = [`-----BEGIN RSA PRIVATE KEY-----`, ...first].join("\n");
		const text = `Here:\n${truncated}\nsorry, again:\n${keyOf(second)}\ndone.`;
		const out = stream(text.split(/(?<=\n)/));
		expect(leaked(out, [...first, ...second])).toEqual([]);
	});

	it("a key that never ends, followed by a certificate, at the end of the stream: its body does not get out", () => {
		const body = bodyLines(3, 3);
		const cert = [
			"-----BEGIN CERTIFICATE-----",
			...bodyLines(4, 2),
			"-----END CERTIFICATE-----",
		].join("\n");
		const text = `Key:\n-----BEGIN PRIVATE KEY-----\n${body.join("\n")}\n${cert}\n`;
		const out = stream(text.split(/(?<=\n)/));
		expect(leaked(out, body)).toEqual([]);
	});

	it("random splits of several keys and a certificate leak no body line (fast-check)", () => {
		const k1 = bodyLines(6, 4);
		const k2 = bodyLines(7, 4);
		const cert = [
			"-----BEGIN CERTIFICATE-----",
			...bodyLines(8, 2),
			"-----END CERTIFICATE-----",
		].join("\n");
		const text = `A ${keyOf(k1)}\nB ${keyOf(k2, "EC ")}\n${cert}\nend.`;
		fc.assert(
			fc.property(
				fc.array(fc.nat({ max: text.length }), { maxLength: 60 }),
				fc.constantFrom(32, 64, 256),
				(points, holdback) => {
					const out = stream(splitAt(text, points), holdback);
					expect(leaked(out, [...k1, ...k2])).toEqual([]);
					expect(out).toContain("end.");
				},
			),
			{ numRuns: 300 },
		);
	});

	it("a PGP private key block is redacted, whole and streamed", () => {
		const body = bodyLines(9, 3);
		const text = [
			"-----BEGIN PGP PRIVATE KEY BLOCK-----",
			"",
			...body,
			"-----END PGP PRIVATE KEY BLOCK-----",
		].join("\n");
		expect(leaked(redactor.redact(text), body)).toEqual([]);
		expect(leaked(stream(text.split(/(?<=\n)/)), body)).toEqual([]);
	});
});

describe("keys the whole-text and streaming redactors both catch", () => {
	// A key closed by a wrong END line (a model's slip, or one a prompt injection asks
	// for), then a whole key: the held first key was released once the second's END
	// came, and no pattern covered it; and a key that never ends left the whole-text
	// redactor (tool results) in clear (a review, 2026-11-26).
	const wrongEndFirst = bodyLines(11, 3);
	const wrongEndSecond = bodyLines(12, 3);
	const wrongEnd = `Key:\n-----BEGIN RSA PRIVATE KEY-----\n${wrongEndFirst.join("\n")}\n-----END PUBLIC KEY-----\nand the other:\n${keyOf(wrongEndSecond)}\ndone.`;

	it("streamed: a key closed by another kind's END line, then a whole key, leaves no body line", () => {
		const out = stream(wrongEnd.split(/(?<=\n)/));
		expect(leaked(out, [...wrongEndFirst, ...wrongEndSecond])).toEqual([]);
		expect(out).toContain("done.");
	});

	it("whole text (tool results, arguments, prompts): the same leaves no body line", () => {
		expect(leaked(redactor.redact(wrongEnd), [...wrongEndFirst, ...wrongEndSecond])).toEqual([]);
	});

	it("whole text: a key that never ends is redacted as the stream redacts it", () => {
		const body = bodyLines(13, 4);
		const truncated = `cat id_rsa | head:\n-----BEGIN OPENSSH PRIVATE KEY-----\n${body.join("\n")}\n`;
		expect(leaked(stream(truncated.split(/(?<=\n)/)), body)).toEqual([]);
		expect(leaked(redactor.redact(truncated), body)).toEqual([]);
	});
});
