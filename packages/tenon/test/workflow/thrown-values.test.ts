// What a step that throws something other than an Error leaves in the journal: a thrown
// `{ code: 42 }` was kept as "[object Object]", its fields lost (a walkthrough as a Temporal
// user, 2026-11-28). A plain-data value is now written out as JSON in the message and kept
// whole under `metadata.thrown`, where `tryStep`'s failure gives it back.
import { expect, it } from "vitest";
import { errorInfo } from "../../src/workflow/errors.js";

it("keeps a thrown plain value's fields, and writes out what it can of any other", () => {
	expect(errorInfo({ code: 42, reason: "card declined" })).toEqual({
		name: "Error",
		message: '{"code":42,"reason":"card declined"}',
		metadata: { thrown: { code: 42, reason: "card declined" } },
	});
	expect(errorInfo("plain text")).toEqual({
		name: "Error",
		message: "plain text",
		metadata: { thrown: "plain text" },
	});
	expect(errorInfo(7)).toMatchObject({ message: "7", metadata: { thrown: 7 } });
	// Not plain data: its text, and a note where it stops being plain.
	const cyclic: Record<string, unknown> = { a: 1 };
	cyclic.self = cyclic;
	const info = errorInfo(cyclic);
	expect(info.name).toBe("Error");
	expect(typeof info.message).toBe("string");
	const withUrl = errorInfo({ at: new URL("https://example.com/") });
	expect(withUrl.message).toContain("example.com");
	expect(String(withUrl.metadata?.thrown)).toMatch(/^\[not stored: /);
	// Long ones are cut.
	expect(errorInfo({ big: "x".repeat(50_000) }).message.length).toBeLessThanOrEqual(2_100);
	// An Error is as before.
	expect(errorInfo(new TypeError("no"))).toMatchObject({ name: "TypeError", message: "no" });
	expect(errorInfo(new TypeError("no")).metadata).toBeUndefined();
	// A value that throws when read still gives a record.
	const hostile = new Proxy(
		{},
		{
			get() {
				throw new Error("boom");
			},
			ownKeys() {
				throw new Error("boom");
			},
		},
	);
	expect(errorInfo(hostile).name).toBe("Error");
});
