import { expectTypeOf, test } from "vitest";
import { actor } from "../src/actor/definition.js";
import { event } from "../src/actor/events.js";
import type { ActorDefinitions } from "../src/actor/registry-types.js";
import type { Client } from "../src/client/types.js";

interface FakeRegistry<A extends ActorDefinitions> {
	readonly __actors: A;
}

type Message = { text: string; userId: string };

const counter = actor({
	state: { count: 0 },
	events: { changed: event<number>() },
	actions: {
		increment: (c, by: number) => {
			c.state.count += by;
			c.broadcast("changed", c.state.count);
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
	createConnState: (_c, params: { userId: string }) => ({ userId: params.userId }),
	onBeforeConnect: (_c, params) => {
		expectTypeOf(params).toEqualTypeOf<{ userId: string }>();
	},
	events: { message: event<Message>(), typing: event<[userId: string, on: boolean]>() },
	actions: {
		send: (c, text: string) => {
			const m = { text, userId: c.conn.state.userId };
			c.state.messages.push(m);
			c.broadcast("message", m);
			c.broadcast("typing", m.userId, false);
			return m;
		},
		history: (c) => c.state.messages,
	},
});

type R = FakeRegistry<{ counter: typeof counter; chat: typeof chat }>;

test("inference", () => {
	const client = null as unknown as Client<R>;
	const h = client.counter.getOrCreate(["a"]);
	expectTypeOf(h.increment).toEqualTypeOf<(by: number) => Promise<number>>();
	expectTypeOf(h.admin.reset).toEqualTypeOf<() => Promise<true>>();
	const room = client.chat.getOrCreate("general", {
		params: { userId: "u" },
		createWithInput: { topic: "t" },
	});
	expectTypeOf(room.send).parameter(0).toEqualTypeOf<string>();
	expectTypeOf(room.history).returns.resolves.toEqualTypeOf<Message[]>();
	const conn = room.connect();
	conn.on("message", (m) => expectTypeOf(m).toEqualTypeOf<Message>());
	conn.on("typing", (u, on) => {
		expectTypeOf(u).toEqualTypeOf<string>();
		expectTypeOf(on).toEqualTypeOf<boolean>();
	});
});
