// The places of a node's actors (ActorHost's slots): an instance, or its wake under way. One
// per actor id, held from the start of its wake until it stopped.
import { deferred } from "../common/deferred.js";
import { errors } from "../protocol/errors.js";
import type { ActorInstance } from "./actor-instance.js";

export type Slot = { instance: ActorInstance } | { starting: Promise<ActorInstance> };

/** Counts of actors by phase (for introspection and the test kit). */
export function slotStats(slots: Iterable<Slot>): {
	awake: number;
	starting: number;
	stopping: number;
} {
	let awake = 0;
	let starting = 0;
	let stopping = 0;
	for (const slot of slots) {
		if ("starting" in slot) starting++;
		else if (slot.instance.status === "awake") awake++;
		else stopping++;
	}
	return { awake, starting, stopping };
}

/** Promises that settle when the actors now waking or stopping have finished doing so. */
export function slotTransitions(slots: Iterable<Slot>): Promise<unknown>[] {
	const pending: Promise<unknown>[] = [];
	for (const slot of slots) {
		if ("starting" in slot) pending.push(slot.starting.catch(() => {}));
		else if (slot.instance.status !== "awake") pending.push(slot.instance.stopped);
	}
	return pending;
}

/**
 * Runs `work` holding `actorId`'s place, which must be free (taken and checked in one step):
 * nothing wakes the actor meanwhile, and whoever waits for the place is told it is not found
 * (a getOrCreate then creates the key anew).
 */
export async function holdingPlace<T>(
	slots: Map<string, Slot>,
	actorId: string,
	work: () => Promise<T>,
): Promise<T> {
	if (slots.has(actorId)) throw errors.actorStopping();
	const held = deferred<ActorInstance>();
	held.promise.catch(() => {});
	slots.set(actorId, { starting: held.promise });
	try {
		return await work();
	} finally {
		slots.delete(actorId);
		held.reject(errors.actorNotFound({ actorId }));
	}
}
