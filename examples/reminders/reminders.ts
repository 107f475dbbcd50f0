import { actor, event, UserError } from "tenon";

/** A reminder a user asked for. */
export interface Reminder {
	id: string;
	text: string;
	dueAt: number;
	scheduleId: string;
}

/**
 * One actor per user: reminders are durable timers (`c.schedule`) that
 * survive sleep, restarts and crashes. Due reminders are broadcast to the
 * user's open connections and kept in a short "delivered" list.
 */
export const reminders = actor({
	state: { pending: {} as Record<string, Reminder>, delivered: [] as Reminder[], nextId: 1 },
	events: { due: event<Reminder>() },
	actions: {
		remind: async (c, text: string, inMs: number) => {
			if (typeof text !== "string" || text.trim() === "")
				throw new UserError("empty reminder", { code: "empty" });
			if (!Number.isFinite(inMs) || inMs < 0)
				throw new UserError("delay must be >= 0 ms", { code: "bad_delay" });
			const id = String(c.state.nextId++);
			const scheduleId = await c.schedule.after(inMs, "deliver", id);
			const reminder: Reminder = { id, text, dueAt: Date.now() + inMs, scheduleId };
			c.state.pending[id] = reminder;
			return reminder;
		},
		cancel: async (c, id: string) => {
			const reminder = c.state.pending[id];
			if (!reminder) return false;
			delete c.state.pending[id];
			return c.schedule.cancel(reminder.scheduleId);
		},
		/** Called by the timer. */
		deliver: (c, id: string) => {
			const reminder = c.state.pending[id];
			if (!reminder) return;
			delete c.state.pending[id];
			c.state.delivered = [reminder, ...c.state.delivered].slice(0, 50);
			c.broadcast("due", reminder);
		},
		pending: (c) => Object.values(c.state.pending),
		delivered: (c) => c.state.delivered,
	},
});
