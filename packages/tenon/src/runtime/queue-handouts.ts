// When messages a receive took may be handed out: at once (the delivery, or a
// plain receive's removal, commits at the end of the turn with what was
// written in it, the consumer's writes before its first await), or
// only once their delivery is durable (careful). Careful is the first hand-out
// of each life of the actor, which makes a mark durable saying a life is
// handing out messages, and every hand-out of a life that follows one that
// did not end with a graceful stop (a crash: the mark is still there).
//
// Why: a message whose handling killed the process (an allocation sized from
// its body) was handed out again at every start with its delivery count never
// raised, so it was never set aside, and one message kept a server down (an
// attacker probe, 2026-11-25). Waiting for durability before every hand-out
// cost a commit per message (draining one at a time 4 to 5 times slower, a
// review); careful hand-outs cost it only after a crash, until a graceful stop.

import type { QueueHolder, StoredMessage } from "./queue-records.js";

/**
 * A careful hand-out's messages once their delivery is durable, or, when
 * the receive's signal aborted meanwhile (or its action failed), given
 * back (`putBack`): the consumer never saw them (they were handed out after
 * the abort, and a plain one was lost). Neither its timeout nor the actor's
 * stop gives them back: they came in time, and a stopping actor may still
 * receive (its stop hook). Nothing else touches them meanwhile
 * (`handingOut`; if the commit fails, the actor resets).
 */
export async function handOver(
	taking: Promise<StoredMessage[]>,
	holder: QueueHolder,
	signal: AbortSignal | undefined,
	putBack: (messages: StoredMessage[]) => void,
): Promise<StoredMessage[]> {
	const messages = await taking;
	for (const message of messages) message.handingOut = false;
	const ended = typeof holder === "object" && holder.ended;
	if (signal?.aborted !== true && !ended) return messages;
	putBack(messages);
	if (signal?.aborted) throw signal.reason;
	return [];
}

/** What the hand-outs need from their queue. */
export interface HandOutDeps {
	/** Commits every pending write and resolves once they are durable (any durability mode). */
	persist(): Promise<void>;
	/** Writes the queue's metadata (in the open generation), with the mark as `HandOuts.dirty` says. */
	writeMeta(): void;
}

/** An actor's queue hand-outs, careful or at once (see the module's comment). */
export class HandOuts {
	readonly #deps: HandOutDeps;
	/** The life before this one handed out messages and did not end with a graceful stop. */
	#afterCrash: boolean;
	/** This life's mark is written (it hands out messages). */
	#marked = false;
	/**
	 * The mark is durable: a commit that carried it (or a later one) landed.
	 * Until then every hand-out waits, not only the first: two receivers that
	 * took messages in the same turn (two `run` loops) had the second one's
	 * handed out while the commit with the mark and both counts was pending,
	 * and a message that killed the process then did so at every start.
	 */
	#markDurable = false;

	/** `dirty`: the stored mark (StoredQueue.dirty). */
	constructor(deps: HandOutDeps, dirty: boolean) {
		this.#deps = deps;
		this.#afterCrash = dirty;
	}

	/** The mark to store: a life hands out messages, or one did and ended in a crash. */
	get dirty(): boolean {
		return this.#marked || this.#afterCrash;
	}

	/** A hand-out starts: true when it must wait for its delivery to be durable. */
	begin(): boolean {
		if (this.#marked) return this.#afterCrash || !this.#markDurable;
		this.#marked = true;
		this.#deps.writeMeta();
		return true;
	}

	/** Resolves with `messages` once what taking them wrote (the mark with it) is durable. */
	async whenDurable<T>(messages: T): Promise<T> {
		const marked = this.#marked;
		await this.#deps.persist();
		// The commit persist() waited for carried the mark written before it, if any.
		if (marked && this.#marked) this.#markDurable = true;
		return messages;
	}

	/** A graceful stop (its final commit follows): the next life hands out at once. */
	stoppedCleanly(): void {
		if (!this.dirty) return;
		this.#marked = false;
		this.#markDurable = false;
		this.#afterCrash = false;
		this.#deps.writeMeta();
	}
}
