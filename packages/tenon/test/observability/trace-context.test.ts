// W3C traceparent values, and the optional field on connection messages.
import { describe, expect, it } from "vitest";
import { formatTraceparent, parseTraceparent } from "../../src/observability/trace-context.js";
import { decodeToServer, encodeToServer } from "../../src/protocol/messages.js";

const VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("traceparent", () => {
	it("parses a version 00 value and formats it back", () => {
		const parsed = parseTraceparent(VALID);
		expect(parsed).toEqual({
			traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
			spanId: "00f067aa0ba902b7",
			traceFlags: 1,
		});
		expect(formatTraceparent({ ...(parsed as NonNullable<typeof parsed>) })).toBe(VALID);
	});

	it("refuses what the specification calls invalid", () => {
		for (const value of [
			undefined,
			null,
			"",
			"garbage",
			"00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
			"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero span id
			"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // version ff
			`${VALID}-extra`, // version 00 has four fields
			"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
		]) {
			expect(parseTraceparent(value), String(value)).toBeUndefined();
		}
	});

	it("accepts a later version with more fields", () => {
		expect(parseTraceparent(`01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-x`)).toEqual({
			traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
			spanId: "00f067aa0ba902b7",
			traceFlags: 0,
		});
	});
});

describe("the traceparent field of ActionRequest", () => {
	for (const encoding of ["json", "cbor"] as const) {
		it(`round-trips in ${encoding}, and is absent when not set`, () => {
			const withField = encodeToServer(encoding, {
				tag: "ActionRequest",
				id: 1,
				name: "a",
				args: [],
				traceparent: VALID,
			});
			expect(decodeToServer(encoding, withField, 1024)).toEqual({
				ok: true,
				message: { tag: "ActionRequest", id: 1, name: "a", args: [], traceparent: VALID },
			});
			const without = encodeToServer(encoding, {
				tag: "ActionRequest",
				id: 2,
				name: "a",
				args: [],
			});
			if (encoding === "json") expect(without).not.toContain("traceparent");
			expect(decodeToServer(encoding, without, 1024)).toEqual({
				ok: true,
				message: { tag: "ActionRequest", id: 2, name: "a", args: [] },
			});
		});
	}

	it("ignores a traceparent that is not a string or too long, instead of refusing the action", () => {
		for (const traceparent of [42, "x".repeat(300)]) {
			const frame = JSON.stringify({
				body: { tag: "ActionRequest", val: { id: 3, name: "a", args: [], traceparent } },
			});
			expect(decodeToServer("json", frame, 1024)).toEqual({
				ok: true,
				message: { tag: "ActionRequest", id: 3, name: "a", args: [] },
			});
		}
	});
});
