import { actor, event, UserError } from "tenon";
import { z } from "zod";
import { spendCreation } from "../auth/creations.js";
import { checkResuming, type TokenParams, tokenOf, verifyToken } from "../auth/tokens.js";
import { isBlank, visibleText, withoutHidden } from "../validation/visible-text.js";
import { PostRate } from "./post-rate.js";

/** One chat message. */
export interface Message {
	id: number;
	userId: string;
	text: string;
	sentAt: number;
}

const MAX_HISTORY = 500;
const MAX_TEXT = 2_000;
export const MAX_TOPIC = 200;
/**
 * What a room is created with: an optional topic everyone reads, checked
 * before the room exists. (It was cut to 200 characters, which could cut an
 * emoji in two, and kept hidden characters: a walkthrough, 2026-11-27.)
 */
const CreateInput = z
	.object({ topic: visibleText(MAX_TOPIC).optional() })
	.strict()
	.optional();
/** Messages one user may send per 10 s in a room (see PostRate). */
export const MAX_MESSAGES_PER_10S = 20;
/** Messages everyone together may send per 10 s in a room: 500 kept last at least 80 s. */
export const MAX_ROOM_MESSAGES_PER_10S = 60;

/**
 * A chat room: one actor per room. Connections prove who they are with a
 * signed token (params `{ token }`); the user id every message carries comes
 * from the verified token, kept in the connection's state, never from what
 * the client sends. Messages are kept (the last 500) and broadcast to
 * everyone in the room.
 */
export const chatRoom = actor({
	createState: (_c, input: { topic?: string } | undefined) => ({
		topic: input?.topic ?? "",
		nextId: 1,
		messages: [] as Message[],
	}),
	// Only signed-in users may open rooms, with a readable topic.
	onBeforeCreate: (c, input) => {
		const identity = verifyToken(tokenOf(c.params));
		if (!CreateInput.safeParse(input).success)
			throw new UserError(
				`a topic has at most ${MAX_TOPIC} characters, something visible and nothing hidden`,
				{ code: "invalid_topic" },
			);
		// Rooms one user creates are bounded too (auth/creations.ts).
		spendCreation(identity);
	},
	onBeforeConnect: (c, params: TokenParams) => {
		checkResuming(c.resuming, verifyToken(params?.token));
	},
	createConnState: (_c, params: TokenParams) => ({ userId: verifyToken(params.token).userId }),
	createVars: () => ({
		posts: new PostRate({
			perUser: MAX_MESSAGES_PER_10S,
			perRoom: MAX_ROOM_MESSAGES_PER_10S,
			windowMs: 10_000,
		}),
		joins: new PostRate({ perUser: 10, perRoom: 120, windowMs: 10_000, what: "announcements" }),
		/** Each user's open connections (onConnect to onDisconnect), and who was announced. */
		open: new Map<string, number>(),
		announced: new Set<string>(),
	}),
	events: {
		message: event<Message>(),
		joined: event<string>(),
		left: event<string>(),
	},
	// A user is announced when their first connection opens and their last one closes, and
	// joins at most 10 times per 10 s (a leave follows each join announced): one account opening
	// and closing sockets in a loop pushed 600 `joined`/`left` a second to every listener (an
	// attacker probe, 2026-11-29). Counted here, not from `c.conns`: a connection whose socket
	// was lost waits for its client out of `c.conns`, and a user still there was announced gone
	// (a review). `online` says who is here whatever was announced.
	onConnect: (c, conn) => {
		const { userId } = conn.state;
		const open = (c.vars.open.get(userId) ?? 0) + 1;
		c.vars.open.set(userId, open);
		if (open === 1 && !c.vars.announced.has(userId) && c.vars.joins.tryTake(userId)) {
			c.vars.announced.add(userId);
			c.broadcast("joined", userId);
		}
	},
	onDisconnect: (c, conn) => {
		const { userId } = conn.state;
		const open = (c.vars.open.get(userId) ?? 1) - 1;
		if (open > 0) {
			c.vars.open.set(userId, open);
			return;
		}
		c.vars.open.delete(userId);
		if (c.vars.announced.delete(userId)) c.broadcast("left", userId);
	},
	actionInputSchemas: {
		sendMessage: z.tuple([withoutHidden()]),
		history: z.tuple([z.number().int().min(0).max(MAX_HISTORY).optional()]),
	},
	actions: {
		sendMessage: (c, text: string) => {
			if (isBlank(text)) throw new UserError("empty message", { code: "empty_message" });
			if (text.length > MAX_TEXT)
				throw new UserError(`messages are limited to ${MAX_TEXT} characters`, { code: "too_long" });
			const userId = c.conn.state.userId;
			c.vars.posts.take(userId);
			const message: Message = {
				id: c.state.nextId++,
				userId,
				text,
				sentAt: Date.now(),
			};
			c.state.messages.push(message);
			if (c.state.messages.length > MAX_HISTORY)
				c.state.messages.splice(0, c.state.messages.length - MAX_HISTORY);
			c.broadcast("message", message);
			return message;
		},
		history: (c, limit: number = 50) => c.state.messages.slice(-limit || c.state.messages.length),
		topic: (c) => c.state.topic,
		online: (c) => [...c.conns.values()].map((conn) => conn.state.userId),
	},
});
