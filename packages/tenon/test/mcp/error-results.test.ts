// Regression (an attacker probe, 2026-11-27): an action's error came back to the MCP client
// with its whole message (a UserError echoing a 200 KB argument, 200 KB a call), while its
// metadata was cut to 2,000 characters; and the cut could split an emoji in two.
import { describe, expect, it } from "vitest";
import { errorResult } from "../../src/mcp/tool-results.js";
import { ActorError } from "../../src/protocol/errors.js";

const textOf = (error: ActorError) => {
	const [part] = errorResult(error).content;
	return (part as { text: string }).text;
};

describe("an MCP tool's error result", () => {
	it("cuts the message as it cuts the metadata, and never inside a surrogate pair", () => {
		const echoed = textOf(
			new ActorError("user", "not_found", `no such note: ${"x".repeat(200_000)}`),
		);
		expect(echoed.length).toBeLessThan(2_100);
		expect(echoed.startsWith("user/not_found: no such note: xxx")).toBe(true);
		expect(echoed.endsWith("…")).toBe(true);
		const emoji = textOf(
			new ActorError("user", "bad", "🌍".repeat(1_500), { note: "🌍".repeat(1_500) }),
		);
		expect(emoji.isWellFormed()).toBe(true);
		expect(emoji.length).toBeLessThan(4_200);
		// A short one is whole.
		expect(textOf(new ActorError("user", "bad", "short", { a: 1 }))).toBe(
			'user/bad: short\n{"a":1}',
		);
	});
});
