import type { DeadLetter } from "../actor/queues.js";
import { sequenceId } from "../common/ids.js";
import type { ActorCore } from "./actor-core.js";
import type { PendingWrites } from "./pending-writes.js";
import {
	DEAD_LETTER_RANGE,
	deadLetterKey,
	decodeDeadLetter,
	encodeDeadLetter,
	type StoredDeadLetter,
	type StoredMessage,
} from "./queue-records.js";

/** What the dead letters read from their actor. */
type DeadLetterCore = Pick<ActorCore, "clock" | "log"> & {
	readonly options: { readonly maxDeadLetters: number };
};

/**
 * An actor's dead letters: messages set aside after `maxQueueDeliveries`
 * deliveries without completion, so one message that always makes its
 * consumer fail cannot stall the queue. They are stored (through the actor's
 * buffered writes, so they commit with the turn) and read back on demand;
 * only their count is kept in memory. The oldest go first beyond `max`.
 */
export class DeadLetters {
	readonly #writes: PendingWrites;
	/** Where the limit is read (the actor's options), the time and the log. */
	readonly #core: DeadLetterCore;
	#count = 0;
	/**
	 * Trims and takes, one at a time (each reads, then deletes, across an
	 * await): overlapping trims each counted the keys they all deleted, so 60
	 * messages dying together left the count at -1215 and nothing was trimmed
	 * for the next 1,225 (an attacker probe).
	 */
	#exclusive: Promise<unknown> = Promise.resolve();
	#trimQueued = false;

	constructor(writes: PendingWrites, core: DeadLetterCore, count: number) {
		this.#writes = writes;
		this.#core = core;
		this.#count = count;
	}

	get size(): number {
		return this.#count;
	}

	/** Stores `message`, delivered too often, as a dead letter (in the current turn's writes). */
	setAside(message: StoredMessage): void {
		const deadAt = this.#core.clock.now();
		const reason = `delivered ${message.deliveries} times without being completed`;
		this.#core.log.warn("queue message moved to the dead letters", {
			queue: message.name,
			id: String(message.seq),
			deliveries: message.deliveries,
		});
		const letter: StoredDeadLetter = {
			seq: message.seq,
			name: message.name,
			body: message.body,
			createdAt: message.createdAt,
			deliveries: message.deliveries,
			deadAt,
			reason,
		};
		this.#writes.put(deadLetterKey(message.seq), encodeDeadLetter(letter));
		this.#count++;
		if (this.#count > this.#core.options.maxDeadLetters && !this.#trimQueued) {
			this.#trimQueued = true;
			void this.#oneAtATime(() => {
				this.#trimQueued = false;
				return this.#trim();
			});
		}
	}

	/** Runs `work` after every trim and take started before it. */
	#oneAtATime<T>(work: () => Promise<T>): Promise<T> {
		const done = this.#exclusive.then(work, work);
		this.#exclusive = done.catch(() => {});
		return done;
	}

	async #trim(): Promise<void> {
		const excess = this.#count - this.#core.options.maxDeadLetters;
		if (excess <= 0) return;
		const oldest = await this.#writes.list(DEAD_LETTER_RANGE, { limit: excess });
		for (const [key] of oldest) {
			this.#writes.delete(key);
			this.#count--;
		}
	}

	/** Stored dead letters, oldest first. */
	async list(limit: number | undefined): Promise<DeadLetter[]> {
		const entries = await this.#writes.list(
			DEAD_LETTER_RANGE,
			limit === undefined ? {} : { limit },
		);
		return entries.map(([key, value]) => publicDeadLetter(decodeDeadLetter(key, value)));
	}

	/**
	 * Removes dead letter `id` and returns it (undefined if there is none).
	 * `accept` runs first, in the same step: if it throws, the dead letter
	 * stays where it is and the take rejects with that error.
	 */
	take(
		id: string,
		accept?: (letter: StoredDeadLetter) => void,
	): Promise<StoredDeadLetter | undefined> {
		const seq = sequenceId(id);
		if (seq === undefined) return Promise.resolve(undefined);
		return this.#oneAtATime(async () => {
			const key = deadLetterKey(seq);
			const [value] = await this.#writes.get([key]);
			if (value === undefined) return undefined;
			const letter = decodeDeadLetter(key, value);
			accept?.(letter);
			this.#writes.delete(key);
			this.#count--;
			return letter;
		});
	}
}

function publicDeadLetter(letter: StoredDeadLetter): DeadLetter {
	return {
		id: String(letter.seq),
		name: letter.name,
		body: letter.body,
		createdAt: letter.createdAt,
		deliveries: letter.deliveries,
		deadAt: letter.deadAt,
		reason: letter.reason,
	};
}
