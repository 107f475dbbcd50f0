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

it("gives each client address a share, so one cannot have everyone else refused", () => {
	const held = new HeldBodies(100, 40);
	const [a, b, c] = [{}, {}, {}];
	held.reserve(30, a, "10.0.0.1");
	held.read(a, 30, 30, "10.0.0.1");
	// The same address past its share: refused; another address, and the node's own, are not.
	expect(() => held.reserve(20, b, "10.0.0.1")).toThrow(
		expect.objectContaining({ code: "overloaded" }),
	);
	held.reserve(35, b, "10.0.0.2");
	held.read(b, 35, 35, "10.0.0.2");
	held.reserve(30, c);
	held.read(c, 30, 30);
	expect([held.bytes, held.bytesOf("10.0.0.1"), held.bytesOf("10.0.0.2")]).toEqual([95, 30, 35]);
	held.letGo(a);
	held.letGo(b);
	held.letGo(c);
	expect([held.bytes, held.bytesOf("10.0.0.1")]).toEqual([0, 0]);
});
