import { actor, event } from "tenon";
import { z } from "zod";

/**
 * A counter: the smallest useful actor, and a public one: anyone may read and
 * change it. Every increment is durable before the caller gets the new
 * value, and subscribers see it as an event. Arguments are checked by a
 * schema, so a wrong type is a 400 (`request/invalid_args`), not a crash.
 *
 * Public also means anyone may create (store) counters under any key. An actor
 * of your own with users checks who the caller is in `onBeforeCreate` and
 * `onBeforeConnect` (see examples/todo-list and docs/security.md).
 */
export const counter = actor({
	state: { count: 0 },
	events: {
		/** Fired with the new count after every change. */
		changed: event<number>(),
	},
	actionInputSchemas: {
		increment: z.tuple([z.number().int().min(-1_000_000).max(1_000_000).optional()]),
	},
	actions: {
		increment: (c, by: number = 1) => {
			c.state.count += by;
			c.broadcast("changed", c.state.count);
			return c.state.count;
		},
		get: (c) => c.state.count,
		reset: (c) => {
			c.state.count = 0;
			c.broadcast("changed", 0);
			return 0;
		},
	},
});
