// What a connection's awareness makes the server send. One awareness update
// is a frame to every connection of the document, and one snapshot asked for
// is every connection's states at once: the count and size of a connection's
// own states were bounded (awareness-guard.ts), their rate not. One reader
// sending 8 KiB cursors to a document of 100 connections made the server send
// 200 MB a second and kept the event loop 90% busy; one asking for a 640 KB
// snapshot again and again kept it 95% busy (an attacker probe, 2026-11-26).
// The bytes are charged to the connection's bucket and the actor's, as
// presence is bounded by its frames a second.

import { type Rate, TokenBucket } from "../common/token-bucket.js";
import { ActorError } from "../protocol/errors.js";

/** What one frame costs beside its bytes (framing, a write to a socket), bytes. */
export const FRAME_COST_BYTES = 1024;

/** The buckets' sizes and refills, in bytes (`burst`) and bytes a second (`perSecond`). */
export interface AwarenessFanoutRates {
	connection: Rate;
	actor: Rate;
}

/**
 * A connection may make the server send 2 MiB a second of awareness (bursts
 * of 4 MiB; at about 4 ns a byte, 1% of the loop), an actor 32 MiB (bursts of
 * 64 MiB): 100 connections' 300-byte cursors go out about twice a second each
 * when all move at once, as presence's do; in a document of 10, a cursor may
 * move 150 times a second.
 */
export const DEFAULT_AWARENESS_FANOUT: AwarenessFanoutRates = {
	connection: { burst: 4 * 1024 * 1024, perSecond: 2 * 1024 * 1024 },
	actor: { burst: 64 * 1024 * 1024, perSecond: 32 * 1024 * 1024 },
};

/**
 * The awareness bytes one actor's connections make it send, in token buckets
 * (a byte a token). A bucket not in debt takes any cost (one update to
 * 10,000 connections may exceed a burst), and owes what it lacks.
 */
export class AwarenessFanout {
	readonly #rates: AwarenessFanoutRates;
	readonly #now: () => number;
	readonly #connections = new Map<string, TokenBucket>();
	readonly #actor: TokenBucket;

	constructor(
		rates: AwarenessFanoutRates = DEFAULT_AWARENESS_FANOUT,
		now = () => performance.now(),
	) {
		this.#rates = rates;
		this.#now = now;
		this.#actor = new TokenBucket(rates.actor, now());
	}

	/**
	 * Throws `limit/yjs_awareness_too_fast` (`metadata.retryAfterMs`) while
	 * the bucket of connection `connId` or the actor's is in debt.
	 */
	admit(connId: string): void {
		const now = this.#now();
		const wait = Math.max(this.#bucketOf(connId, now).charge(0, now), this.#actor.charge(0, now));
		if (wait > 0)
			throw new ActorError(
				"limit",
				"yjs_awareness_too_fast",
				"This connection's awareness (cursors, names) changes faster than it can be sent to the others; send the latest after the wait",
				{ retryAfterMs: wait },
			);
	}

	/** Charges `bytes` sent to each of `receivers` to connection `connId` (after {@link admit}). */
	charge(connId: string, bytes: number, receivers: number): void {
		const cost = Math.max(1, receivers) * (bytes + FRAME_COST_BYTES);
		const now = this.#now();
		this.#bucketOf(connId, now).charge(cost, now);
		this.#actor.charge(cost, now);
	}

	/** Forgets a connection that went. */
	drop(connId: string): void {
		this.#connections.delete(connId);
	}

	#bucketOf(connId: string, now: number): TokenBucket {
		let bucket = this.#connections.get(connId);
		if (bucket === undefined) {
			bucket = new TokenBucket(this.#rates.connection, now);
			this.#connections.set(connId, bucket);
		}
		return bucket;
	}
}
