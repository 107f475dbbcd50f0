// What a refused state write tells the developer: the path as every other
// refusal names it (`state.obj`), and the rule once. Before 2026-11-26 a
// prototype set on a nested object said "State at 'obj' is given a
// prototype; state must be plain data; state must be plain data (...)".
import { expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const shaped = actor({
	state: { obj: { a: 1 } },
	actions: {
		refuse: (c, how: string) => {
			if (how === "nestedProto") Object.setPrototypeOf(c.state.obj, { inherited: 5 });
			else if (how === "rootProto") Object.setPrototypeOf(c.state, { inherited: 5 });
			else if (how === "freeze") Object.freeze(c.state.obj);
		},
	},
});

it.each([
	["nestedProto", "state.obj"],
	["rootProto", "state"],
	["freeze", "state.obj"],
])("a refused %s names %s and the rule once", async (how, path) => {
	await using t = await setupTest(setup({ use: { shaped }, logLevel: "silent" }));
	const refused = await t.client.shaped
		.getOrCreate("k")
		.refuse(how)
		.then(
			() => undefined,
			(error: { code: string; message: string; metadata: unknown }) => error,
		);
	expect(refused).toMatchObject({ code: "not_serializable", metadata: { path } });
	expect(refused?.message).toContain(`State at '${path}' is `);
	expect(refused?.message.split("must be plain data").length).toBe(2);
});
