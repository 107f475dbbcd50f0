import { actor, event, setup } from "../../../src/index.js";

/** A room that says which key it has, and how many connections it holds. */
export const room = actor({
	createState: (_c, input: { n?: bigint } | undefined) => ({ said: Number(input?.n ?? 0n) }),
	events: { said: event<number>() },
	actions: {
		whoami: (c) => c.key[0] ?? "",
		say: (c) => {
			c.state.said++;
			c.broadcast("said", c.state.said);
			return c.state.said;
		},
		connections: (c) => c.conns.size,
	},
});

export const roomsRegistry = setup({ use: { room } });
