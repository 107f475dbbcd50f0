import type { Logger } from "../common/logger.js";
import { errors } from "../protocol/errors.js";
import type { ActorInstance } from "./actor-instance.js";

/**
 * Makes room for one more awake actor among `slots` (`count` of them): at
 * `max` (`maxAwakeActors`), the least recently active idle actors (1% of the
 * limit at a time, so this runs rarely) are put to sleep. If every awake
 * actor is busy, `limit/overloaded`.
 */
export function makeRoom(
	slots: Iterable<{ instance: ActorInstance } | { starting: Promise<ActorInstance> }>,
	count: number,
	max: number,
	logger: Logger,
): void {
	if (count < max) return;
	const candidates: ActorInstance[] = [];
	let leaving = 0;
	for (const slot of slots) {
		if (!("instance" in slot)) continue;
		if (slot.instance.status !== "awake") leaving++;
		else if (!slot.instance.busy) candidates.push(slot.instance);
	}
	// Actors already going to sleep make room as they finish.
	if (count - leaving < max) return;
	if (candidates.length === 0) throw errors.overloaded(max);
	candidates.sort((a, b) => a.lastActiveAt - b.lastActiveAt);
	const sleeping = Math.max(1, Math.ceil(max / 100));
	for (const instance of candidates.slice(0, sleeping)) void instance.stop("sleep");
	logger.debug("awake actor limit reached; least recently used actors sleep", {
		limit: max,
		sleeping: Math.min(sleeping, candidates.length),
	});
}
