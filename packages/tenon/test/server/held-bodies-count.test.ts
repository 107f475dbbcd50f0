// The node's count of held request bodies (server/held-bodies.ts), alone.
import { expect, it } from "vitest";
import { HeldBodies } from "../../src/server/held-bodies.js";

const overloaded = expect.objectContaining({ code: "overloaded" });

it("counts bytes as they arrive, per request, and lets go what its request held", () => {
	const held = new HeldBodies(100);
	const [a, b] = [{}, {}];
	held.arrived(a, 30);
	held.arrived(a, 60);
	expect(held.bytes).toBe(60);
	// Another request past the budget is refused when its bytes arrive; one that fits is not.
	held.arrived(b, 40);
	expect(() => held.arrived(b, 45)).toThrow(overloaded);
	expect(held.bytes).toBe(100);
	held.letGo(a);
	held.letGo(b);
	expect(held.bytes).toBe(0);
	// Letting go twice, or a request that read nothing, changes nothing.
	held.letGo(a);
	held.letGo({});
	expect(held.bytes).toBe(0);
});

it("counts a request's largest body once: a cluster try reads the same body again", () => {
	const held = new HeldBodies(100);
	const [a, b] = [{}, {}];
	held.arrived(b, 30);
	held.arrived(a, 60);
	// Read again (the next try): counted already, never refused by its own bytes.
	for (let tries = 0; tries < 25; tries++) held.arrived(a, 60);
	expect(held.bytes).toBe(90);
	held.letGo(a);
	expect(held.bytes).toBe(30);
});

it("lets a request whose body is larger than the budget through when nothing else is held", () => {
	const held = new HeldBodies(100);
	const a = {};
	held.arrived(a, 500);
	expect(held.bytes).toBe(500);
	expect(() => held.arrived({}, 1)).toThrow(overloaded);
});

it("gives each client address a share, so one cannot have everyone else refused", () => {
	const held = new HeldBodies(100, 40);
	const [a, b, c, d] = [{}, {}, {}, {}];
	held.arrived(a, 30, "10.0.0.1");
	// The same address past its share: refused; another address, and a request with none, are not.
	expect(() => held.arrived(b, 20, "10.0.0.1")).toThrow(overloaded);
	held.arrived(c, 35, "10.0.0.2");
	held.arrived(d, 30);
	expect([held.bytes, held.bytesOf("10.0.0.1"), held.bytesOf("10.0.0.2")]).toEqual([95, 30, 35]);
	for (const holder of [a, b, c, d]) held.letGo(holder);
	expect([held.bytes, held.bytesOf("10.0.0.1"), held.bytesOf("10.0.0.2")]).toEqual([0, 0, 0]);
});
