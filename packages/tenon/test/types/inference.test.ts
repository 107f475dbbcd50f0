import { describe, expectTypeOf, it } from "vitest";
import {
	type ActionNameOf,
	type ActorsOf,
	type ActorError as ClientActorError,
	type ConnParamsOf,
	createClient,
	type InputOf,
} from "../../src/client/index.js";
import type { ActorConn, ActorHandle, ConnStatus } from "../../src/client/types.js";
import { actor, event, setup } from "../../src/index.js";

interface Message {
	text: string;
	userId: string;
}

const counter = actor({
	state: { count: 0 },
	events: { changed: event<number>() },
	actions: {
		increment: (c, by: number) => {
			expectTypeOf(c.state).toEqualTypeOf<{ count: number }>();
			c.state.count += by;
			c.broadcast("changed", c.state.count);
			// @ts-expect-error the payload of "changed" is a number
			c.broadcast("changed", "nope");
			// @ts-expect-error "unknown" is not a declared event
			c.broadcast("unknown", 1);
			return c.state.count;
		},
		get: (c) => c.state.count,
		admin: {
			reset: async (c) => {
				c.state.count = 0;
				return true as const;
			},
		},
	},
});

const chat = actor({
	createState: (_c, input: { topic: string }) => ({
		topic: input.topic,
		messages: [] as Message[],
	}),
	onBeforeConnect: (_c, params: { userId: string }) => {
		expectTypeOf(params).toEqualTypeOf<{ userId: string }>();
	},
	createConnState: (_c, params: { userId: string }) => ({ userId: params.userId, joinedAt: 0 }),
	createVars: () => ({ cache: new Map<string, number>() }),
	events: { message: event<Message>(), typing: event<[userId: string, on: boolean]>() },
	onConnect: (c, conn) => {
		expectTypeOf(conn.state).toEqualTypeOf<{ userId: string; joinedAt: number }>();
		expectTypeOf(c.vars.cache).toEqualTypeOf<Map<string, number>>();
	},
	actions: {
		sendMessage: (c, text: string) => {
			expectTypeOf(c.key).toEqualTypeOf<readonly string[]>();
			expectTypeOf(c.conn.params).toEqualTypeOf<{ userId: string }>();
			const message = { text, userId: c.conn.state.userId };
			c.state.messages.push(message);
			c.broadcast("message", message);
			c.broadcast("typing", message.userId, false);
			c.conn.send("typing", "x", true);
			return message;
		},
		history: (c) => c.state.messages,
	},
});

interface Join {
	kind: "join";
	user: string;
}
interface Leave {
	kind: "leave";
	user: string;
}

// A union payload is one argument of the union (it was split into one argument list per
// member, which refused a value of the union: a typing walkthrough, 2026-11-29).
const presence = actor({
	state: {},
	events: {
		presence: event<Join | Leave>(),
		either: event<string | number>(),
		point: event<[x: number, y: number] | null>(),
		list: event<string[]>(),
	},
	actions: {
		tell: (c, change: Join | Leave, value: string | number, point: [number, number] | null) => {
			c.broadcast("presence", change);
			c.broadcast("either", value);
			c.broadcast("point", point);
			// A tuple member's arguments, as before: a union mixing tuples and values takes both.
			c.broadcast("point", 1, 2);
			c.broadcast("list", ["a", "b"]);
			c.conn.send("presence", { kind: "leave", user: "u" });
			// @ts-expect-error a union payload is one argument
			c.broadcast("either", "a", 1);
			// @ts-expect-error not a member of the union
			c.broadcast("presence", { kind: "stay", user: "u" });
		},
	},
});

const loose = actor({
	state: { n: 0 },
	actions: {
		ping: (c) => {
			// Without event declarations any name and payload is allowed.
			c.broadcast("anything", 1, "two", { three: 3 });
			return "pong" as const;
		},
	},
});

const registry = setup({ use: { counter, chat, loose, presence } });

describe("type inference", () => {
	// A client is lazy: nothing is sent until a call is made.
	const client = createClient<typeof registry>("http://127.0.0.1:1");

	it("types stateless actions, nested groups and async results", () => {
		const handle = client.counter.getOrCreate(["a"]);
		expectTypeOf(handle.increment).toEqualTypeOf<(by: number) => Promise<number>>();
		expectTypeOf(handle.get).toEqualTypeOf<() => Promise<number>>();
		expectTypeOf(handle.admin.reset).toEqualTypeOf<() => Promise<true>>();
		expectTypeOf(handle.resolve).toEqualTypeOf<() => Promise<string>>();
		// Checked by tsc only: calling would send a request.
		const callChecks = () => {
			// @ts-expect-error there is no such action
			handle.decrement;
			// @ts-expect-error increment takes a number
			void handle.increment("1");
		};
		expectTypeOf(callChecks).toBeFunction();
	});

	it("types a call by name: its name, its arguments and its result (for a signal)", () => {
		const handle = client.counter.getOrCreate(["a"]);
		// Checked by tsc only: calling would send a request.
		const callChecks = async (conn: ActorConn<typeof counter>) => {
			const signal = AbortSignal.timeout(1_000);
			expectTypeOf(
				await handle.action({ name: "increment", args: [1], signal }),
			).toEqualTypeOf<number>();
			expectTypeOf(await handle.action({ name: "get" })).toEqualTypeOf<number>();
			expectTypeOf(await conn.action({ name: "admin.reset", args: [] })).toEqualTypeOf<true>();
			// A name known as one of the actor's: the union of their results.
			const name = "get" as "get" | "admin.reset";
			expectTypeOf(await conn.action({ name })).toEqualTypeOf<number | true>();
			// @ts-expect-error there is no such action
			await handle.action({ name: "decrement", args: [1] });
			// @ts-expect-error nested actions are named with their group
			await handle.action({ name: "reset" });
			// @ts-expect-error increment takes a number
			await handle.action({ name: "increment", args: ["1"] });
			// @ts-expect-error increment's argument is not optional
			await conn.action({ name: "increment" });
			// @ts-expect-error a name from outside is not an action name until it is checked
			await handle.action({ name: String(Math.random()) });
			// @ts-expect-error each name of a union keeps its own arguments (increment needs one)
			await handle.action({ name: "get" as "get" | "increment" });
			// An untyped handle (a helper for any actor) takes any name, and answers unknown.
			const untyped: ActorHandle<any> = handle;
			expectTypeOf(await untyped.action({ name: String(1), args: [] })).toEqualTypeOf<unknown>();
			expectTypeOf(untyped.resolve).toEqualTypeOf<() => Promise<string>>();
			const unknownActor = handle as unknown as ActorHandle<unknown>;
			expectTypeOf(await unknownActor.action({ name: "x" })).toEqualTypeOf<unknown>();
		};
		expectTypeOf(callChecks).toBeFunction();
	});

	it("types an action typed any without giving up the others", () => {
		const legacy: any = () => 1;
		const mixed = actor({ state: {}, actions: { ok: (_c, x: number) => x, legacy } });
		const mixedClient =
			createClient<ReturnType<typeof setup<{ mixed: typeof mixed }>>>("http://127.0.0.1:1");
		const callChecks = async () => {
			const h = mixedClient.mixed.getOrCreate("k");
			expectTypeOf(await h.action({ name: "ok", args: [1] })).toEqualTypeOf<number>();
			expectTypeOf(await h.action({ name: "legacy", args: ["anything"] })).toEqualTypeOf<unknown>();
			// @ts-expect-error ok takes a number
			await h.action({ name: "ok", args: ["1"] });
		};
		expectTypeOf(callChecks).toBeFunction();
	});

	it("types input, params, events and connections", () => {
		const room = client.chat.getOrCreate("general", {
			params: { userId: "u" },
			createWithInput: { topic: "t" },
		});
		expectTypeOf(room.sendMessage).parameters.toEqualTypeOf<[text: string]>();
		expectTypeOf(room.history).returns.resolves.toEqualTypeOf<Message[]>();
		// @ts-expect-error input must match createState's input
		client.chat.getOrCreate("x", { createWithInput: { topic: 1 } });
		// @ts-expect-error params must match onBeforeConnect's params
		client.chat.get("x", { params: { user: "u" } });
		expectTypeOf(client.chat.create).returns.resolves.toHaveProperty("sendMessage");

		expectTypeOf(room.connect).returns.toEqualTypeOf<ActorConn<typeof chat>>();
	});

	// Checked by tsc only: connecting would open a socket.
	const connChecks = (conn: ActorConn<typeof chat>) => {
		expectTypeOf(conn.connStatus).toEqualTypeOf<ConnStatus>();
		expectTypeOf(conn.sendMessage).toEqualTypeOf<(text: string) => Promise<Message>>();
		conn.on("message", (message) => expectTypeOf(message).toEqualTypeOf<Message>());
		conn.on("typing", (userId, on) => {
			expectTypeOf(userId).toEqualTypeOf<string>();
			expectTypeOf(on).toEqualTypeOf<boolean>();
		});
		conn.onError((error) => expectTypeOf(error).toEqualTypeOf<ClientActorError>());
		// @ts-expect-error not a declared event
		conn.on("nope", () => {});
	};

	it("types connection events", () => {
		expectTypeOf(connChecks).toBeFunction();
	});

	const looseChecks = (conn: ActorConn<typeof loose>) => {
		conn.on("whatever", (...args) => expectTypeOf(args).toEqualTypeOf<any[]>());
		expectTypeOf(conn.ping).toEqualTypeOf<() => Promise<"pong">>();
	};

	it("types a union payload as one argument, on the client too", () => {
		const conn = client.presence.get(["p"]).connect();
		conn.on("presence", (change) => expectTypeOf(change).toEqualTypeOf<Join | Leave>());
		conn.on("point", (...args) =>
			expectTypeOf(args).toEqualTypeOf<[[x: number, y: number] | null] | [x: number, y: number]>(),
		);
		conn.on("list", (items) => expectTypeOf(items).toEqualTypeOf<string[]>());
	});

	it("accepts any event on actors that declare none", () => {
		expectTypeOf(looseChecks).toBeFunction();
	});

	it("rejects unknown actor names", () => {
		// @ts-expect-error not in the registry
		client.nothing;
		expectTypeOf(client.dispose).toEqualTypeOf<() => Promise<void>>();
	});

	// They gave a client with no actors, the error far from the mistake (a typing walkthrough).
	it("takes a registry's type only", () => {
		const wrong = () => {
			// @ts-expect-error an actor's type, not the registry's
			createClient<typeof counter>("http://127.0.0.1:1");
			// @ts-expect-error not a registry
			createClient<string>("http://127.0.0.1:1");
		};
		expectTypeOf(wrong).toBeFunction();
	});

	it("exports the helper types a user names", () => {
		expectTypeOf<ActorsOf<typeof registry>["chat"]>().toEqualTypeOf<typeof chat>();
		expectTypeOf<InputOf<typeof chat>>().toEqualTypeOf<{ topic: string }>();
		expectTypeOf<ConnParamsOf<typeof chat>>().toEqualTypeOf<{ userId: string }>();
		expectTypeOf<ActionNameOf<typeof counter>>().toEqualTypeOf<
			"increment" | "get" | "admin.reset"
		>();
	});
});
