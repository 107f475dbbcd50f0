// Types flow through tenon/react: useActor's connection has the actor's
// actions, useEvent its events' payloads, useActorState its shared state,
// usePresence its presence identity and data.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { createClient } from "../../src/client/index.js";
import type { ActorConn, ConnStatus, PresenceOf } from "../../src/client/types.js";
import { actor, event, setup } from "../../src/index.js";
import { createTenonReact } from "../../src/react/index.js";

const board = actor({
	state: { notes: [] as { id: string; text: string }[], secret: "s" },
	createConnState: (_c, params: { user: string }) => ({ user: params.user }),
	events: { added: event<{ id: string; text: string }>() },
	shareState: (state) => ({ notes: state.notes }),
	presence: {
		identify: (conn) => ({ name: conn.state.user }),
		schema: z.object({ x: z.number(), y: z.number() }),
	},
	actions: {
		add: (c, text: string) => {
			const note = { id: String(c.state.notes.length), text };
			c.state.notes.push(note);
			c.broadcast("added", note);
			return note;
		},
	},
});
const whole = actor({
	state: { count: 0 },
	shareState: true,
	actions: { inc: (c) => ++c.state.count },
});
// No shareState, or shareState: false: nothing is shared, and the hook says so (it was typed
// as the whole state, which never arrives).
const unshared = actor({ state: { count: 0 }, actions: { inc: (c) => ++c.state.count } });
const off = actor({ state: { count: 0 }, shareState: false, actions: {} });
const maybe = actor({ state: { count: 0 }, shareState: process.env.SHARE === "1", actions: {} });
const registry = setup({ use: { board, whole, unshared, off, maybe } });
type Board = (typeof registry)["__actors"]["board"];

describe("tenon/react types", () => {
	it("types useActor, useEvent, useActorState and usePresence from the registry", () => {
		const client = createClient<typeof registry>("http://localhost:6420");
		const { useActor, useEvent, useActorState, usePresence } = createTenonReact(client);
		// Types only: the hooks are not called outside a component.
		type UseActorResult = ReturnType<typeof useActor<"board">>;
		expectTypeOf<UseActorResult["status"]>().toEqualTypeOf<ConnStatus>();
		expectTypeOf<UseActorResult["connection"]>().toEqualTypeOf<ActorConn<Board> | undefined>();
		expectTypeOf<NonNullable<UseActorResult["connection"]>["add"]>().toEqualTypeOf<
			(text: string) => Promise<{ id: string; text: string }>
		>();
		expectTypeOf(useActor<"board">)
			.parameter(0)
			.toHaveProperty("params")
			.toEqualTypeOf<{ user: string } | undefined>();
		// @ts-expect-error no actor of that name
		expectTypeOf(useActor<"nope">).toBeFunction();
		expectTypeOf(useEvent<Board, "added">)
			.parameter(2)
			.toEqualTypeOf<(note: { id: string; text: string }) => void>();
		expectTypeOf(useActorState<Board>).returns.toEqualTypeOf<
			{ notes: { id: string; text: string }[] } | undefined
		>();
		type Whole = (typeof registry)["__actors"]["whole"];
		expectTypeOf(useActorState<Whole>).returns.toEqualTypeOf<{ count: number } | undefined>();
		type Actors = (typeof registry)["__actors"];
		expectTypeOf(useActorState<Actors["unshared"]>).returns.toEqualTypeOf<undefined>();
		expectTypeOf(useActorState<Actors["off"]>).returns.toEqualTypeOf<undefined>();
		expectTypeOf(useActorState<Actors["maybe"]>).returns.toEqualTypeOf<
			{ count: number } | undefined
		>();
		type Presence = ReturnType<typeof usePresence<Board>>;
		expectTypeOf<Presence["others"][number]>().toEqualTypeOf<PresenceOf<Board>>();
		expectTypeOf<PresenceOf<Board>["user"]>().toEqualTypeOf<{ name: string }>();
		expectTypeOf<Presence["set"]>().parameter(0).toEqualTypeOf<{ x: number; y: number } | null>();
	});

	it("types the connection's shared state and presence without React", () => {
		const client = createClient<typeof registry>("http://localhost:6420");
		const conn = client.board.getOrCreate("b", { params: { user: "ann" } }).connect();
		expectTypeOf(conn.sharedState).toEqualTypeOf<
			{ notes: { id: string; text: string }[] } | undefined
		>();
		expectTypeOf(conn.setPresence).parameter(0).toEqualTypeOf<{ x: number; y: number } | null>();
		// @ts-expect-error presence must match the schema's type
		expectTypeOf(conn.setPresence).toBeCallableWith({ x: "1" });
		void conn.dispose();
	});
});
