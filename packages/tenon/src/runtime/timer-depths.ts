// How deep in a chain of actor-to-actor calls each timer was set. A call made
// while serving another is one deeper (MAX_CALL_DEPTH refuses a chain past 32,
// cluster/headers.ts), but a timer's action ran with no request, so its calls
// started again at depth 1: two actors that each set a timer calling the other
// (`c.schedule.after(0, ...)`, as "next" pointers a client wrote can make them)
// passed calls back and forth for ever, one commit a hop, and again after every
// restart (the timers are durable; an attacker probe, 2026-11-27). A timer now
// keeps the depth of the call that set it, and its action's calls go on from it.

import type { FireInfo, ScheduledEvent } from "../actor/schedule.js";

/** A timer as stored: its fields, and the depth it was set at when that is not 0. */
export type StoredTimer = Omit<ScheduledEvent, "id"> & { depth?: number };

/** The depth of the timer each fired action runs for (set as it fires). */
const depthOfFire = new WeakMap<FireInfo, number>();

/** The call depth a fired action's timer was set at (0 for anything else). */
export function fireDepthOf(fire: FireInfo | undefined): number {
	return fire === undefined ? 0 : (depthOfFire.get(fire) ?? 0);
}

/** The depths of an actor's timers, by id; most timers are set at depth 0 and have none here. */
export class TimerDepths {
	/**
	 * Depths of the timers set at a depth above 0, made on first use: most
	 * actors never set one, and an empty Map's table cost each awake actor
	 * about 220 bytes of heap (row 6 of the benchmark, 2026-11-28).
	 */
	#byId: Map<number, number> | undefined;

	/** The record to store for timer `id`, set at `depth`. */
	record(id: number, fields: Omit<ScheduledEvent, "id">, depth: number): StoredTimer {
		if (depth <= 0) return fields;
		this.#byId ??= new Map();
		this.#byId.set(id, depth);
		return { ...fields, depth };
	}

	/** Timer `id` as loaded: its public fields (its depth remembered apart). */
	loaded(id: number, stored: StoredTimer): Omit<ScheduledEvent, "id"> {
		const { depth, ...fields } = stored;
		if (typeof depth === "number" && Number.isSafeInteger(depth) && depth > 0) {
			this.#byId ??= new Map();
			this.#byId.set(id, depth);
		}
		return fields;
	}

	/** `fire`, for timer `id`, carries the timer's depth to its action. */
	firing(id: number, fire: FireInfo): FireInfo {
		const depth = this.#byId?.get(id);
		if (depth !== undefined) depthOfFire.set(fire, depth);
		return fire;
	}

	delete(id: number): void {
		this.#byId?.delete(id);
	}
}
