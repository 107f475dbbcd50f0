import type { ActorOwner } from "../../interfaces.js";

/** Owners remembered at most (the oldest go first). */
const MAX_KNOWN_OWNERS = 10_000;

/**
 * The owners this node found lately for actors another node holds. Each
 * request for such an actor asked PostgreSQL twice (the lease upsert, then
 * who holds it) on its way to the owner: a client at the per-address rate
 * made one node send 2,000 statements a second (a review, 2026-11-26). An
 * owner found is believed for `ttlMs`, a fraction of the lease time: what a
 * stale one costs is a forward to a node that no longer holds the actor,
 * which then takes it itself or sends the request on (a hop), or refuses it
 * unrun while it stops, and the entry node asks again (cluster/forward.ts).
 * Only owners with an address are kept: one that does not beat is waited
 * out through PostgreSQL, as before.
 */
export class KnownOwners {
	readonly #owners = new Map<string, { owner: ActorOwner; until: number }>();
	readonly #ttlMs: number;
	readonly #now: () => number;

	constructor(ttlMs: number, now: () => number = () => performance.now()) {
		this.#ttlMs = ttlMs;
		this.#now = now;
	}

	/** The owner found for `actorId` within the last `ttlMs`, if any. */
	get(actorId: string): ActorOwner | undefined {
		const known = this.#owners.get(actorId);
		if (known === undefined) return undefined;
		if (known.until > this.#now()) return known.owner;
		this.#owners.delete(actorId);
		return undefined;
	}

	remember(actorId: string, owner: ActorOwner): void {
		if (owner.address === "" || this.#ttlMs <= 0) return;
		this.#owners.delete(actorId);
		if (this.#owners.size >= MAX_KNOWN_OWNERS) {
			const oldest = this.#owners.keys().next().value;
			if (oldest !== undefined) this.#owners.delete(oldest);
		}
		this.#owners.set(actorId, { owner, until: this.#now() + this.#ttlMs });
	}

	forget(actorId: string): void {
		this.#owners.delete(actorId);
	}
}
