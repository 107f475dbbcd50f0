import { UserError } from "tenon";
import type { Identity } from "./tokens.js";

/**
 * Actors one user may create (store) over all the examples that let users
 * create many (chat rooms, histories, boards, notes, expenses, orders, agent
 * conversations): a burst of `creations`, then one every `refillMs`. Every
 * per-actor bound (messages per room, notes per board) multiplies by the
 * actors a user creates: one guest created 300 rooms in 0.9 s and filled 50
 * of them, each within its own bounds (an attacker probe, 2026-11-28).
 */
export const USER_CREATION_LIMIT = { creations: 20, refillMs: 3 * 60_000 };

/**
 * Users whose buckets are kept before the full ones are let go (a full
 * bucket is the same as none): the map holds recent creators only.
 */
const SWEEP_AT = 10_000;

/**
 * A token bucket per user, in this process's memory: a restart forgets it,
 * and each node of a cluster counts on its own. Good enough for a demo whose
 * guests are themselves bounded per address (see docs/security.md); an app
 * counts in its user database, next to the account.
 */
export class CreationQuota {
	readonly #byUser = new Map<string, { tokens: number; at: number }>();
	readonly #limit: typeof USER_CREATION_LIMIT;

	constructor(limit = USER_CREATION_LIMIT) {
		this.#limit = limit;
	}

	/** Spends one of `userId`'s creations, or throws `user/rate_limited` (nothing spent). */
	take(userId: string, now = Date.now()): void {
		const { creations, refillMs } = this.#limit;
		const kept = this.#byUser.get(userId);
		const tokens =
			kept === undefined
				? creations
				: Math.min(creations, kept.tokens + Math.max(0, now - kept.at) / refillMs);
		if (tokens < 1)
			throw new UserError("You created many rooms, boards or documents lately; try again later", {
				code: "rate_limited",
				metadata: { retryAfterMs: Math.ceil((1 - tokens) * refillMs) },
			});
		if (!this.#byUser.has(userId) && this.#byUser.size >= SWEEP_AT) {
			this.#sweep(now);
			// None full (that many users creating at once): the oldest goes, so the map stays
			// bounded; that user starts afresh, a burst early (a review, 2026-11-28).
			const oldest = this.#byUser.keys().next();
			if (this.#byUser.size >= SWEEP_AT && oldest.done !== true) this.#byUser.delete(oldest.value);
		}
		this.#byUser.set(userId, { tokens: tokens - 1, at: now });
	}

	/** Users kept now. */
	get size(): number {
		return this.#byUser.size;
	}

	#sweep(now: number): void {
		const { creations, refillMs } = this.#limit;
		for (const [user, { tokens, at }] of this.#byUser)
			if (tokens + (now - at) / refillMs >= creations) this.#byUser.delete(user);
	}
}

const creations = new CreationQuota();

/**
 * For `onBeforeCreate` of actors any signed-in user may create many of,
 * last (once the request passed its other checks): spends one of the
 * verified user's creations, or throws `user/rate_limited`.
 */
export function spendCreation(identity: Identity): void {
	creations.take(identity.userId);
}
