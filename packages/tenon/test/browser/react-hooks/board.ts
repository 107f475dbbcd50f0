import { actor, event, setup } from "../../../src/index.js";

/** The actor the React hooks page talks to: shared state, presence and an event. */
export const board = actor({
	state: { notes: [] as string[] },
	createConnState: (_c, params: { user: string }) => ({ user: params.user }),
	events: { added: event<string>() },
	shareState: true,
	presence: { identify: (conn) => ({ name: conn.state.user }) },
	actions: {
		add: (c, text: string) => {
			c.state.notes.push(`${c.conn.state.user}: ${text}`);
			c.broadcast("added", text);
			return c.state.notes.length;
		},
		connections: (c) => c.conns.size,
	},
});

export const boardRegistry = setup({ use: { board } });
