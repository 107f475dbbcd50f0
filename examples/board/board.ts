import { actor, event, UserError } from "tenon";
import { z } from "zod";
import { spendCreation } from "../auth/creations.js";
import { checkResuming, type TokenParams, tokenOf, verifyToken } from "../auth/tokens.js";
import { PostRate } from "../chat-room/post-rate.js";
import { visibleText } from "../validation/visible-text.js";

/** A sticky note on the board. */
export interface Sticky {
	id: number;
	text: string;
	x: number;
	y: number;
	/** Who wrote it (from the writer's verified token). */
	author: string;
}

const MAX_NOTES = 200;
/**
 * Notes one author may have on a board: without it, one user filled a board
 * for everyone, and only authors remove notes (a review, 2026-11-27).
 */
export const MAX_NOTES_PER_AUTHOR = 20;
const position = z.number().finite().min(0).max(2_000);
/**
 * Changes (adding, moving, removing notes, clearing) one user, and everyone together, may
 * make per second. Every change is a state write sent to every open page: unbounded, one
 * connection made 1,500 moves a second (an attacker probe, 2026-11-27), and with only moves
 * bounded, 800 adds and removes (another, 2026-11-28). The page sends one per drop or click.
 */
export const MAX_CHANGES_PER_SECOND = { perUser: 10, perRoom: 60 };
/**
 * The token role that may remove anyone's note and clear a board: with authors alone
 * removing notes, ten guest accounts filled a board for good (an attacker probe, 2026-11-27).
 */
export const MODERATOR = "moderator";

/**
 * A multiplayer board, one actor per board: sticky notes everyone sees
 * (shared state: every change reaches every open page, after it is saved)
 * and live cursors (presence: each page says where its cursor is, the actor
 * says whose it is; never stored). Who did what comes from signed tokens.
 */
export const board = actor({
	state: { nextId: 1, notes: [] as Sticky[] },
	createVars: () => ({
		changes: new PostRate({ ...MAX_CHANGES_PER_SECOND, windowMs: 1_000, what: "changes" }),
	}),
	// Only signed-in users make (store) boards: a creation opens no connection,
	// so the connect hooks alone would let anyone store boards by the thousand.
	onBeforeCreate: (c) => {
		spendCreation(verifyToken(tokenOf(c.params)));
	},
	onBeforeConnect: (c, params: TokenParams) => {
		const identity = verifyToken(params?.token);
		checkResuming(c.resuming, identity);
		// A resumed connection keeps the state it was made with: a role taken away since goes.
		const resumed = c.resuming?.state as { moderator?: boolean } | undefined;
		if (resumed?.moderator === true && !identity.roles.includes(MODERATOR))
			throw new UserError("Forbidden: no longer a moderator", { code: "forbidden" });
	},
	createConnState: (_c, params: TokenParams) => {
		const { userId, roles } = verifyToken(params.token);
		return { userId, moderator: roles.includes(MODERATOR) };
	},
	shareState: true,
	presence: {
		identify: (conn) => ({ name: conn.state.userId }),
		schema: z.object({ x: position, y: position }).strict(),
		maxPerSecond: 30,
	},
	events: { cleared: event<string>() },
	actionInputSchemas: {
		addNote: z.tuple([visibleText(280), position, position]),
		moveNote: z.tuple([z.number().int(), position, position]),
		removeNote: z.tuple([z.number().int()]),
		clear: z.tuple([]),
	},
	actions: {
		addNote: (c, text: string, x: number, y: number) => {
			if (c.state.notes.length >= MAX_NOTES)
				throw new UserError(`A board holds at most ${MAX_NOTES} notes`, { code: "board_full" });
			const author = c.conn.state.userId;
			if (c.state.notes.filter((n) => n.author === author).length >= MAX_NOTES_PER_AUTHOR)
				throw new UserError(`You may have at most ${MAX_NOTES_PER_AUTHOR} notes on a board`, {
					code: "too_many_notes",
				});
			c.vars.changes.take(author);
			const sticky = { id: c.state.nextId++, text, x, y, author };
			c.state.notes.push(sticky);
			return sticky.id;
		},
		// Anyone on the board may move any note (it is a shared board); only its author removes it.
		moveNote: (c, id: number, x: number, y: number) => {
			const sticky = c.state.notes.find((n) => n.id === id);
			if (!sticky) throw new UserError("No such note", { code: "not_found" });
			c.vars.changes.take(c.conn.state.userId);
			sticky.x = x;
			sticky.y = y;
		},
		removeNote: (c, id: number) => {
			const index = c.state.notes.findIndex((n) => n.id === id);
			if (index === -1) return false;
			// Only its author, or a moderator, may remove a note.
			if (c.state.notes[index]?.author !== c.conn.state.userId && !c.conn.state.moderator)
				throw new UserError("Only the author or a moderator may remove a note", {
					code: "forbidden",
				});
			c.vars.changes.take(c.conn.state.userId);
			c.state.notes.splice(index, 1);
			return true;
		},
		/** Removes every note (moderators only); every page hears who cleared the board. */
		clear: (c) => {
			if (!c.conn.state.moderator)
				throw new UserError("Only a moderator may clear the board", { code: "forbidden" });
			c.vars.changes.take(c.conn.state.userId);
			c.state.notes = [];
			c.broadcast("cleared", c.conn.state.userId);
		},
	},
	options: { sleepTimeout: 30_000 },
});
