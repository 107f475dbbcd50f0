// The inspector's writes to an actor: replacing its state (an edit, or a
// restore of a recorded turn) runs as a turn of its own, through the same
// activity tracking, commit and output gate as an action.

import type { ActorParts } from "./actor-assembly.js";
import type { TurnOrigin } from "./turn-history.js";

export type { TurnOrigin } from "./turn-history.js";

/** Replaces the actor's state as one turn; resolves once the change is durable. */
export function replaceStateTurn(
	parts: ActorParts,
	next: unknown,
	origin: TurnOrigin,
	check?: (current: unknown) => void,
): Promise<void> {
	return parts.turns.gated("inspector state edit", () =>
		parts.activity.track(
			(async () => {
				// Against the state the awake actor holds (its `createState`'s, on a first wake).
				check?.(parts.tracker.raw);
				parts.history?.audit(origin);
				parts.tracker.replace(next);
				parts.afterTurn();
			})(),
		),
	);
}

/**
 * Cancels one-shot timer `id` as a turn of its own (like `c.schedule.cancel`
 * in an action: the removal and the actor's new alarm commit together);
 * resolves once durable, with false when there was no such timer.
 */
export function cancelTimerTurn(parts: ActorParts, id: string): Promise<boolean> {
	return parts.turns.gated("inspector timer cancel", () =>
		parts.activity.track(
			(async () => {
				const cancelled = await parts.schedules.schedule.cancel(id);
				parts.afterTurn();
				return cancelled;
			})(),
		),
	);
}
