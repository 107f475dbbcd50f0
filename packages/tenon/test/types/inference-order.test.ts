// The member order docs/actors.md gives (state, createVars reading its context, then the
// connect hooks with their params annotated, then hooks and actions) infers every type: with
// createVars' context typed by the connection params, TypeScript fixed them to `unknown`
// before it read the annotated params, and createConnState's annotation was an error, its
// conn state possibly undefined everywhere (a walkthrough, 2026-11-28).
import { describe, expectTypeOf, it } from "vitest";
import type { ActorConn } from "../../src/client/index.js";
import { actor, setup } from "../../src/index.js";

const match = actor({
	state: { round: 1 },
	createVars: (c) => ({ startedAt: c.state.round, seen: new Set<string>() }),
	onBeforeConnect: (_c, params: { token: string } | undefined) => {
		if (params?.token === undefined) throw new Error("no token");
	},
	createConnState: (_c, params: { token: string } | undefined) => ({ player: params?.token ?? "" }),
	onWake: (c) => {
		c.vars.seen.clear();
	},
	onConnect: (c, conn) => {
		c.vars.seen.add(conn.state.player);
	},
	actions: {
		me: (c) => c.conn.state.player,
		started: (c) => c.vars.startedAt,
	},
});
const registry = setup({ use: { match } });

describe("an actor written in the documented order", () => {
	const checks = (conn: ActorConn<typeof match>) => {
		expectTypeOf(conn.me).toEqualTypeOf<() => Promise<string>>();
		expectTypeOf(conn.started).toEqualTypeOf<() => Promise<number>>();
	};
	it("types vars, params and conn state", () => {
		expectTypeOf(checks).toBeFunction();
		expectTypeOf(registry).not.toBeAny();
	});
});
