// What a turn journals and shows besides streamed text: a call's arguments
// as the transcript keeps them, the check of a call's input, and errors a
// tool throws. A reviewer's probe (2026-11-25) found the arguments redacted
// as one text (a private key's BEGIN in one string and its END in another
// hid what was between; a secret escaped in the first of a key given twice
// was kept), errors whose metadata the journal could not store (the agent's
// workflow failed for good), and a check that took 27 s on a value sharing
// its parts.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { asStored, checkModelCall } from "../../src/agent/call-check.js";
import { defineTool } from "../../src/agent/index.js";
import { COMMON_SECRET_PATTERNS, Redactor } from "../../src/agent/redact.js";
import { redactArguments } from "../../src/agent/redact-arguments.js";
import { holdsSecret, plainRedacted, redactError } from "../../src/agent/redact-values.js";
import { UserError } from "../../src/index.js";
import { findNotPlain } from "../../src/protocol/plain-data.js";
import { CriticalError, errorInfo } from "../../src/workflow/errors.js";

const SECRET = "tenon-test-secret-7f3a9c";
const QUOTED = 'db-pass"w0rd\\7f3a9c';
const redactor = new Redactor({ secrets: [SECRET, QUOTED], patterns: COMMON_SECRET_PATTERNS });

describe("redactArguments", () => {
	it("redacts string by string: a private key's BEGIN and END in two strings hide nothing between", () => {
		const args = JSON.stringify({
			reason: "rent -----BEGIN PRIVATE KEY-----",
			cents: 99_999_999,
			to: "mallory",
			memo: "-----END PRIVATE KEY----- thanks",
		});
		expect(redactArguments(args, redactor)).toBe(args);
		const key = "-----BEGIN PRIVATE KEY-----\nMIIabc\n-----END PRIVATE KEY-----";
		expect(redactArguments(JSON.stringify({ key, to: "bob" }), redactor)).toBe(
			'{"key":"[redacted]","to":"bob"}',
		);
	});

	it("redacts a secret written with escapes in the first of a key given twice", () => {
		const escaped = `\\u0074${SECRET.slice(1)}`;
		expect(redactArguments(`{"q":"${escaped}","q":"x"}`, redactor)).toBe(
			'{"q":"[redacted]","q":"x"}',
		);
	});

	it("redacts a secret holding a quote or a backslash, as a key and as a value", () => {
		const args = JSON.stringify({ [QUOTED]: QUOTED, n: 1 });
		expect(redactArguments(args, redactor)).toBe('{"[redacted]":"[redacted]","n":1}');
	});

	it("keeps the model's text as written where nothing is secret, and redacts a number that reads as one", () => {
		const args = '{ "a" : "\\u0041 b" ,\n "n": [1.5e3, -0, true, null] }';
		expect(redactArguments(args, redactor)).toBe(args);
		const pin = new Redactor({ secrets: ["424242"] });
		expect(redactArguments('{"pin":424242,"other":1}', pin)).toBe('{"pin":"[redacted]","other":1}');
	});

	it("redacts text that is not JSON as text, and hides all of it when an escaped secret is in it", () => {
		expect(redactArguments(`{"q":"${SECRET}"`, redactor)).toBe('{"q":"[redacted]"');
		expect(redactArguments(`{"q":"\\u0074${SECRET.slice(1)}"`, redactor)).toBe("[redacted]");
		expect(redactArguments('{"q":"a\\nb\\\\u0074"', redactor)).toBe('{"q":"a\\nb\\\\u0074"');
	});
});

describe("holdsSecret", () => {
	it("looks at a part shared many times once (2^26 leaves in 27 arrays took 27 s)", () => {
		let shared: unknown = "leaf";
		for (let i = 0; i < 26; i++) shared = [shared, shared];
		const started = performance.now();
		expect(holdsSecret({ shared }, redactor)).toBe(false);
		let leaking: unknown = `a ${SECRET}`;
		for (let i = 0; i < 26; i++) leaking = [leaking, leaking];
		expect(holdsSecret({ shared, leaking }, redactor)).toBe(true);
		expect(performance.now() - started).toBeLessThan(500);
	});
});

describe("checkModelCall", () => {
	const shapes = defineTool({
		name: "shapes",
		description: "Makes shapes",
		input: z
			.object({ s: z.string(), depth: z.number().int().max(40) })
			.strict()
			.transform(({ s, depth }) => {
				const nul = Object.create(null) as Record<string, string>;
				nul.k = s;
				const shared = { n: 1 };
				let tree: unknown = s;
				for (let i = 0; i < depth; i++) tree = [tree, tree];
				return {
					buf: Buffer.from(s),
					ab: new Uint8Array([1, 2]).buffer,
					negz: -0,
					nul,
					a: shared,
					b: shared,
					// biome-ignore lint/suspicious/noSparseArray: a hole, on purpose
					sparse: [1, , 3],
					tree,
				};
			}),
		execute: () => null,
	});
	const check = (args: unknown) =>
		checkModelCall([shapes], redactor, "shapes", JSON.stringify(args));

	it("returns the checked input as the journal gives it back after a restart", async () => {
		const checked = await check({ s: "hi", depth: 1 });
		if (!checked.ok) throw new Error(checked.reason);
		const input = checked.input as Record<string, unknown>;
		expect(Buffer.isBuffer(input.buf)).toBe(false);
		expect(input.buf).toEqual(new Uint8Array([104, 105]));
		expect(input.ab).toEqual(new Uint8Array([1, 2]));
		expect(Object.is(input.negz, 0)).toBe(true);
		expect(Object.getPrototypeOf(input.nul)).toBe(Object.prototype);
		expect(input.a).not.toBe(input.b);
		expect(1 in (input.sparse as unknown[])).toBe(true);
		// Storing it again changes nothing: a replay runs the tool with the same value.
		expect(asStored(input)).toStrictEqual(input);
	});

	it("refuses, at once, an input that shares its parts past what it can store", async () => {
		const started = performance.now();
		const checked = await check({ s: "leaf", depth: 26 });
		expect(performance.now() - started).toBeLessThan(500);
		expect(checked).toEqual({
			ok: false,
			reason: "the checked input cannot be stored: it holds more than 1000000 values",
		});
	});
});

describe("redactError", () => {
	const stored = (thrown: unknown) => errorInfo(redactError(thrown, redactor));

	it("makes an error's metadata plain data the journal can store, redacted", () => {
		const error = new UserError("the upstream refused", {
			metadata: {
				upstream: new Error(`refused key ${SECRET}`),
				url: new URL(`https://api.example/v1?key=${SECRET}`),
				bytes: new TextEncoder().encode(`key ${SECRET}`),
				in: new Map([[SECRET, new Set([QUOTED])]]),
				at: new Date(0),
			},
		});
		const info = stored(error);
		expect(findNotPlain(info, "info")).toBeUndefined();
		expect(info.metadata).toMatchObject({ group: "user", code: "user_error" });
		expect(info.metadata?.metadata).toEqual({
			upstream: '{"name":"Error","message":"refused key [redacted]"}',
			url: "https://api.example/v1?key=[redacted]",
			bytes: "[bytes]",
			in: new Map([["[redacted]", new Set(["[redacted]"])]]),
			at: new Date(0),
		});
		const shared = { n: 1 };
		const cyclic: Record<string, unknown> = { shared, again: shared };
		cyclic.self = cyclic;
		expect(plainRedacted(cyclic, redactor)).toEqual({ shared, again: shared, self: "[circular]" });
	});

	it("redacts an error's name, and keeps its class", () => {
		const error = new CriticalError("upstream refused");
		error.name = `UpstreamError[${SECRET}]`;
		const redacted = redactError(error, redactor);
		expect(redacted).toBeInstanceOf(CriticalError);
		expect(stored(error).name).toBe("UpstreamError[[redacted]]");
		expect(JSON.stringify(stored(error))).not.toContain(SECRET);
	});

	it("writes anything thrown that is not an Error out as a redacted string", () => {
		expect(redactError(Object.create(null), redactor)).toBe("{}");
		expect(redactError({ message: `key ${SECRET}` }, redactor)).toBe(
			'{"message":"key [redacted]"}',
		);
		expect(redactError(`key ${SECRET}`, redactor)).toBe("key [redacted]");
	});

	it("keeps an error with nothing to hide as it is", () => {
		const error = new CriticalError("nothing secret");
		expect(redactError(error, redactor)).toBe(error);
		const user = new UserError("plain", { metadata: { n: 1, list: ["a"] } });
		expect(redactError(user, redactor)).toBe(user);
	});
});
