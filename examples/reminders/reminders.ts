import { actor, event, UserError } from "tenon";
import { z } from "zod";
import { requireOwner, type TokenParams } from "../auth/tokens.js";
import { visibleText } from "../validation/visible-text.js";

/** A reminder a user asked for. */
export interface Reminder {
	id: string;
	text: string;
	dueAt: number;
	scheduleId: string;
}

const YEAR = 365 * 24 * 60 * 60 * 1000;

/**
 * One actor per user (its key is the user id; only that user, proven by a
 * signed token, may create or open it): reminders are durable timers
 * (`c.schedule`) that survive sleep, restarts and crashes. Due reminders are
 * broadcast to the user's open connections and kept in a short "delivered"
 * list. `deliver` runs only when its timer fires: a client cannot call it.
 */
export const reminders = actor({
	state: { pending: {} as Record<string, Reminder>, delivered: [] as Reminder[], nextId: 1 },
	onBeforeCreate: (c) => {
		requireOwner(c.key, c.params);
	},
	onBeforeConnect: (c, params: TokenParams) => {
		requireOwner(c.key, params);
	},
	events: { due: event<Reminder>() },
	actionInputSchemas: {
		remind: z.tuple([visibleText(500).trim(), z.number().int().min(0).max(YEAR)]),
		cancel: z.tuple([z.string().max(20)]),
	},
	actions: {
		remind: async (c, text: string, inMs: number) => {
			const id = String(c.state.nextId++);
			const scheduleId = await c.schedule.after(inMs, "deliver", id);
			const reminder: Reminder = { id, text, dueAt: Date.now() + inMs, scheduleId };
			c.state.pending[id] = reminder;
			return reminder;
		},
		cancel: async (c, id: string) => {
			const reminder = Object.hasOwn(c.state.pending, id) ? c.state.pending[id] : undefined;
			if (!reminder) return false;
			delete c.state.pending[id];
			return c.schedule.cancel(reminder.scheduleId);
		},
		/** Run by the timer only: `c.fire` is set when a timer fired the action. */
		deliver: (c, id: string) => {
			if (c.fire?.kind !== "schedule")
				throw new UserError("Forbidden: reminders are delivered by their timer", {
					code: "forbidden",
				});
			const reminder = Object.hasOwn(c.state.pending, id) ? c.state.pending[id] : undefined;
			if (!reminder) return;
			delete c.state.pending[id];
			c.state.delivered = [reminder, ...c.state.delivered].slice(0, 50);
			c.broadcast("due", reminder);
		},
		pending: (c) => Object.values(c.state.pending),
		delivered: (c) => c.state.delivered,
	},
});
