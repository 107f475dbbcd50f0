// The node's count of held request bodies (server/held-bodies.ts), alone.
import { expect, it } from "vitest";
import { HeldBodies } from "../../src/server/held-bodies.js";

it("counts reservations and reads per request, and lets go what its request held", () => {
	const held = new HeldBodies(100);
	const a = {};
	const b = {};
	held.reserve(60, a);
	held.read(a, 60, 60);
	// Another request past the budget is refused; one that fits is not.
	expect(() => held.reserve(50, b)).toThrow(expect.objectContaining({ code: "overloaded" }));
	held.reserve(40, b);
	// It sent more than it declared: refused once read, and its reservation gone.
	expect(() => held.read(b, 40, 45)).toThrow(expect.objectContaining({ code: "overloaded" }));
	expect(held.bytes).toBe(60);
	// A request reading its body again (a try on another node) is not refused by its own bytes.
	held.reserve(60, a);
	held.read(a, 60, 60);
	expect(held.bytes).toBe(120);
	held.letGo(a);
	expect(held.bytes).toBe(0);
	// A failed read gives its reservation back; a read with no holder counts no longer.
	held.reserve(30, b);
	held.unreserve(30);
	held.reserve(30);
	held.read(undefined, 30, 30);
	expect(held.bytes).toBe(0);
});
