// Which connection uses which Yjs client ids in one awake document. A Yjs
// client id names who made a change, and the document keeps, per client, the
// clock up to which it has that client's changes: whoever writes under an id
// decides what the document believes its owner has sent. Without claims, an
// editor could send a GC struct under another user's id spanning 2^40
// clocks, and that user's later edits were answered 200 but never applied
// (an attacker probe, 2026-11-25); or forge items under it.
import type { ActorError } from "../protocol/errors.js";

/** What a refused claim is answered with. */
export interface ClaimRefusals {
	/** `id` is another connection's. */
	taken(id: number): ActorError;
	/**
	 * The connection would use more than `limit` ids. Without it, such ids are
	 * used unclaimed (nobody's), and the claims stay bounded all the same.
	 */
	tooMany?(limit: number): ActorError;
}

/**
 * Client ids claimed by connections: while a connection is open, only it may
 * use the ids it claimed; it claims at most `limit`. Held in memory, stored
 * with the document (claim-records.ts) so they outlive its sleep, and let go
 * when the connection goes.
 */
export class ClientClaims {
	readonly #limit: number;
	readonly #refusals: ClaimRefusals;
	readonly #idsOf = new Map<string, Set<number>>();
	readonly #ownerOf = new Map<number, string>();

	constructor(limit: number, refusals: ClaimRefusals) {
		this.#limit = limit;
		this.#refusals = refusals;
	}

	/** Throws unless `owner` may use every id of `ids` (its own, or nobody's). */
	check(owner: string, ids: readonly number[]): void {
		let added = 0;
		for (const id of ids) {
			const current = this.#ownerOf.get(id);
			if (current !== undefined && current !== owner) throw this.#refusals.taken(id);
			if (current === undefined) added++;
		}
		const tooMany = this.#refusals.tooMany;
		if (tooMany !== undefined && (this.#idsOf.get(owner)?.size ?? 0) + added > this.#limit)
			throw tooMany(this.#limit);
	}

	/**
	 * `owner` uses `ids` from now on (after {@link check}; ids claimed by others
	 * stay theirs). True if it claimed any it did not have.
	 */
	claim(owner: string, ids: readonly number[]): boolean {
		let mine = this.#idsOf.get(owner);
		let added = false;
		for (const id of ids) {
			if (this.#ownerOf.has(id) || (mine?.size ?? 0) >= this.#limit) continue;
			if (mine === undefined) {
				mine = new Set();
				this.#idsOf.set(owner, mine);
			}
			mine.add(id);
			this.#ownerOf.set(id, owner);
			added = true;
		}
		return added;
	}

	/** The ids `owner` claimed. */
	idsOf(owner: string): number[] {
		return [...(this.#idsOf.get(owner) ?? [])];
	}

	/** The error for `id` being another's. */
	refusal(id: number): ActorError {
		return this.#refusals.taken(id);
	}

	/** The owner that claimed `id`, if any. */
	ownerOf(id: number): string | undefined {
		return this.#ownerOf.get(id);
	}

	/** `owner` went: its ids, now free. */
	release(owner: string): number[] {
		const mine = this.#idsOf.get(owner);
		this.#idsOf.delete(owner);
		if (mine === undefined) return [];
		for (const id of mine) this.#ownerOf.delete(id);
		return [...mine];
	}
}
