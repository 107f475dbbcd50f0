import { actor, event, UserError } from "tenon";

/**
 * A counter: the smallest useful actor. Every increment is durable before
 * the caller gets the new value, and subscribers see it as an event.
 */
export const counter = actor({
	state: { count: 0 },
	events: {
		/** Fired with the new count after every change. */
		changed: event<number>(),
	},
	actions: {
		increment: (c, by: number = 1) => {
			if (!Number.isFinite(by))
				throw new UserError("'by' must be a finite number", { code: "invalid_amount" });
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
