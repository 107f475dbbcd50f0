// Action names the definition refuses. A group's `then`, `constructor` or
// `toJSON` was accepted before 2026-11-27 (a walkthrough): JavaScript reads
// those names itself (`await handle.admin` reads `admin.then`), and the
// client never calls them.
import { describe, expect, it } from "vitest";
import { actor } from "../../src/index.js";

const define = (actions: Record<string, unknown>) => () => actor({ actions } as never);

describe("action names", () => {
	it("refuses client members and special names at the top level", () => {
		for (const name of [
			"send",
			"connect",
			"dispose",
			"then",
			"constructor",
			"toJSON",
			"toString",
			"valueOf",
		])
			expect(define({ [name]: () => 1 })).toThrow(`Action name '${name}' is reserved`);
	});

	it("refuses special names in a group, at any depth, and keeps client member names there", () => {
		for (const name of ["then", "constructor", "toJSON", "toString", "valueOf"]) {
			expect(define({ admin: { [name]: () => 1 } })).toThrow(`'admin.${name}' is reserved`);
			expect(define({ a: { b: { [name]: () => 1 } } })).toThrow(`'a.b.${name}' is reserved`);
		}
		// A group's members are reached through the group, where no handle method lives.
		expect(define({ admin: { send: () => 1, connect: () => 2 } })).not.toThrow();
	});

	it("refuses dots and values that are neither functions nor groups", () => {
		expect(define({ "a.b": () => 1 })).toThrow("must not contain '.'");
		expect(define({ g: { x: 5 } })).toThrow("'g.x' must be a function or a group of actions");
	});
});
