// Which connection `useActor` options share. Objects' keys in another order
// made another connection (`{ token, room }` and `{ room, token }`: a
// walkthrough, 2026-11-27, documented then; sorted since 2026-11-28).
import { expect, it } from "vitest";
import { connectionKey } from "../../src/react/hooks.js";

const key = (options: object) => connectionKey({ name: "room", ...options } as never);

it("is the same for plain objects whose keys come in another order, at any depth", () => {
	expect(key({ params: { token: "t", room: "r" } })).toBe(
		key({ params: { room: "r", token: "t" } }),
	);
	expect(key({ createWithInput: { a: { x: 1, y: [{ p: 1, q: 2 }] }, b: 2 } })).toBe(
		key({ createWithInput: { b: 2, a: { y: [{ q: 2, p: 1 }], x: 1 } } }),
	);
});

it("tells apart what differs: values, array order, Map order, a __proto__ key", () => {
	expect(key({ params: { token: "t" } })).not.toBe(key({ params: { token: "u" } }));
	expect(key({ key: ["a", "b"] })).not.toBe(key({ key: ["b", "a"] }));
	const ab = new Map([
		["a", 1],
		["b", 2],
	]);
	const ba = new Map([
		["b", 2],
		["a", 1],
	]);
	expect(key({ createWithInput: ab })).not.toBe(key({ createWithInput: ba }));
	expect(key({ params: JSON.parse('{"__proto__": {"admin": true}}') })).not.toBe(
		key({ params: {} }),
	);
	expect(key({ key: "a" })).toBe(key({ key: ["a"] }));
});
