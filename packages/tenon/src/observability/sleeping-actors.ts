// The actors of one type asleep on this node, for `tenon_actors_sleeping`: the ids of those
// that went to sleep here and have not woken or been destroyed since, at most `limit` of them
// (the ones that slept most recently). Until 2026-11-27 every id was kept for the life of the
// process, about 50 bytes each, and a client makes as many as it likes with `getOrCreate`
// (an attacker probe: 60,000 actors that slept once, 3 MB that never shrank).

/** The most sleeping actors of one type the gauge counts (about 5 MB of ids). */
export const MAX_SLEEPING_COUNTED = 100_000;

export class SleepingActors {
	readonly #ids = new Set<string>();
	readonly #limit: number;

	constructor(limit = MAX_SLEEPING_COUNTED) {
		this.#limit = limit;
	}

	/** How many are counted asleep (at most the limit). */
	get size(): number {
		return this.#ids.size;
	}

	/** `actorId` went to sleep here: counted, the longest asleep forgotten past the limit. */
	slept(actorId: string): void {
		this.#ids.delete(actorId);
		this.#ids.add(actorId);
		if (this.#ids.size <= this.#limit) return;
		const longest = this.#ids.values().next().value;
		if (longest !== undefined) this.#ids.delete(longest);
	}

	/** `actorId` woke here, or was dropped or destroyed. */
	gone(actorId: string): void {
		this.#ids.delete(actorId);
	}
}
