import { actor, event, UserError } from "tenon";

/** One chat message. */
export interface Message {
	id: number;
	userId: string;
	text: string;
	sentAt: number;
}

/** Who is connecting, as the client passes it. */
export interface ChatParams {
	userId: string;
}

const MAX_HISTORY = 500;
const MAX_TEXT = 2_000;

/**
 * A chat room: one actor per room. Connections must say who they are;
 * messages are kept (the last 500) and broadcast to everyone in the room.
 */
export const chatRoom = actor({
	createState: (_c, input: { topic?: string } | undefined) => ({
		topic: input?.topic ?? "",
		nextId: 1,
		messages: [] as Message[],
	}),
	onBeforeConnect: (_c, params: ChatParams) => {
		if (
			typeof params?.userId !== "string" ||
			params.userId.length === 0 ||
			params.userId.length > 64
		) {
			throw new UserError("connect with params { userId }", { code: "unauthorized" });
		}
	},
	createConnState: (_c, params: ChatParams) => ({ userId: params.userId }),
	events: {
		message: event<Message>(),
		joined: event<string>(),
		left: event<string>(),
	},
	onConnect: (c, conn) => {
		c.broadcast("joined", conn.state.userId);
	},
	onDisconnect: (c, conn) => {
		c.broadcast("left", conn.state.userId);
	},
	actions: {
		sendMessage: (c, text: string) => {
			if (typeof text !== "string" || text.trim() === "")
				throw new UserError("empty message", { code: "empty_message" });
			if (text.length > MAX_TEXT)
				throw new UserError(`messages are limited to ${MAX_TEXT} characters`, { code: "too_long" });
			const message: Message = {
				id: c.state.nextId++,
				userId: c.conn.state.userId,
				text,
				sentAt: Date.now(),
			};
			c.state.messages.push(message);
			if (c.state.messages.length > MAX_HISTORY)
				c.state.messages.splice(0, c.state.messages.length - MAX_HISTORY);
			c.broadcast("message", message);
			return message;
		},
		history: (c, limit: number = 50) =>
			c.state.messages.slice(-Math.max(0, Math.min(limit, MAX_HISTORY))),
		topic: (c) => c.state.topic,
		online: (c) => [...c.conns.values()].map((conn) => conn.state.userId),
	},
});
