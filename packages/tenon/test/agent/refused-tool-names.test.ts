// A tool name the model made up is quoted in the refusal the model reads and
// the transcript shows. Quoted as written, bidi overrides reordered it:
// "\u202Eteled" showed as "delete" (an attacker probe, 2026-11-28). Controls and
// format characters are quoted as escapes.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { checkToolCall, defineTool } from "../../src/agent/index.js";

const lookup = defineTool({
	name: "lookup",
	description: "Looks a word up",
	input: z.object({ q: z.string() }).strict(),
	execute: ({ q }) => q,
});

describe("a refused tool name in its refusal", () => {
	it("shows bidi overrides, zero-width and control characters as escapes", async () => {
		const refused = await checkToolCall([lookup], "\u202Eteled\u200B\n", "{}");
		expect(refused).toEqual({ ok: false, error: "no tool named '\\u{202e}teled\\u{200b}\\u{a}'" });
	});

	it("quotes a plain name as it is", async () => {
		expect(await checkToolCall([lookup], "rm_rf", "{}")).toEqual({
			ok: false,
			error: "no tool named 'rm_rf'",
		});
	});
});
