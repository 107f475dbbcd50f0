// How receivers see the queues: one message or a stream of them, and the
// views of the `run` handler and of each action that uses `c.queue`, whose
// leases are released when it fails.

import type {
	ActorQueue,
	DeadLetter,
	QueueDecls,
	QueueMessage,
	ReceiveOptions,
} from "../actor/queues.js";
import type { ReceiveGate } from "../actor/run-host.js";
import { queueErrors } from "./queue-errors.js";
import type { QueueHolder, QueueManager, QueueSendResult } from "./queue-manager.js";
import type { ActionHolder, StoredMessage } from "./queue-records.js";

/** A receive of several messages (a run provider's may pass a gate: the RunQueue port). */
type BatchReceive = ReceiveOptions<string> & { count: number; gate?: ReceiveGate };

/** Receives one message for `holder` and returns its view. */
export async function receiveOne(
	queue: QueueManager,
	options: ReceiveOptions<string>,
	wait: boolean,
	holder: QueueHolder,
): Promise<unknown> {
	// One message: a `count` given anyway (plain JavaScript) would take more and drop them.
	const [message] = await queue.receive({ ...options, count: 1 }, wait, holder);
	return message === undefined
		? undefined
		: queue.leases.views([message], options.completable === true, holder)[0];
}

/** Messages as they arrive, until the actor stops or `options.signal` aborts. */
export function iterate(
	queue: QueueManager,
	options: Omit<ReceiveOptions<string>, "timeout">,
	holder: QueueHolder,
	// biome-ignore lint/suspicious/noExplicitAny: queue views return the message types the actor's declarations give; the public ActorQueue interface types them.
): AsyncIterable<any> {
	const aborted = () => queue.stopping;
	return {
		async *[Symbol.asyncIterator]() {
			const ended = () => typeof holder === "object" && holder.ended;
			for (;;) {
				// Code left running after its holder failed ends its loop (it would spin).
				if (aborted() || options.signal?.aborted || ended()) return;
				let message: unknown;
				try {
					message = await receiveOne(queue, options, true, holder);
				} catch (error) {
					// The actor is stopping (or the caller aborted): end the loop quietly.
					if (aborted() || options.signal?.aborted) return;
					throw error;
				}
				if (message !== undefined) yield message;
			}
		},
	};
}

/**
 * `c.queue` inside a `run` handler or an action: the same queues, but
 * messages it receives with `completable: true` are released for redelivery
 * if the handler or action fails (see QueueLeases.releaseHolder), so they
 * are neither lost nor stuck. An action's view is its own holder.
 */
export class HeldQueueView implements ActorQueue<QueueDecls> {
	readonly #queue: QueueManager;
	readonly #holder: QueueHolder;

	/**
	 * `holder`: "other", a holder of its own (one run of the `run` handler, or
	 * an action), or the given one (a run of the run provider).
	 */
	constructor(queue: QueueManager, holder: "other" | "run" | "action" | ActionHolder) {
		this.#queue = queue;
		this.#holder =
			typeof holder === "object" || holder === "other"
				? holder
				: holder === "run"
					? { ended: false, run: true }
					: { ended: false };
	}

	/** Who holds what this view receives. */
	get holder(): QueueHolder {
		return this.#holder;
	}

	/** The handler or action failed: what it received completable and did not complete goes back. */
	releaseLeases(): void {
		this.#queue.leases.releaseHolder(this.#holder);
	}

	get size(): number {
		return this.#queue.size;
	}

	send(name: string, body: unknown): Promise<void> {
		return this.#queue.send(name, body);
	}

	async enqueueAndWait(
		name: string,
		body: unknown,
		options: { timeout?: number; signal?: AbortSignal } = {},
	): Promise<QueueSendResult> {
		const timeout = options.timeout;
		if (timeout !== undefined && !(typeof timeout === "number" && timeout >= 0))
			throw queueErrors.invalidOptions(`timeout must be a number >= 0 (got ${String(timeout)})`);
		const { completion } = await this.#queue.enqueue(name, body, {
			timeoutMs: timeout,
			signal: options.signal,
		});
		return (await completion) as QueueSendResult;
	}

	// biome-ignore lint/suspicious/noExplicitAny: queue views return the message types the actor's declarations give; the public ActorQueue interface types them.
	next(options: ReceiveOptions<string> = {}): Promise<any> {
		return receiveOne(this.#queue, options, true, this.#holder);
	}

	// biome-ignore lint/suspicious/noExplicitAny: queue views return the message types the actor's declarations give; the public ActorQueue interface types them.
	waitForNames(names: readonly string[], options: ReceiveOptions<string> = {}): Promise<any> {
		// One name given as a string (plain JavaScript) is that name, not its letters.
		return this.next({ ...options, names: typeof names === "string" ? [names] : [...names] });
	}

	// biome-ignore lint/suspicious/noExplicitAny: queue views return the message types the actor's declarations give; the public ActorQueue interface types them.
	tryNext(options: ReceiveOptions<string> = {}): Promise<any> {
		return receiveOne(this.#queue, options, false, this.#holder);
	}

	// biome-ignore lint/suspicious/noExplicitAny: queue views return the message types the actor's declarations give; the public ActorQueue interface types them.
	async nextBatch(options: BatchReceive): Promise<any[]> {
		const messages = await this.#queue.receive(options, true, this.#holder);
		return this.#queue.leases.views(messages, options.completable === true, this.#holder);
	}

	// biome-ignore lint/suspicious/noExplicitAny: queue views return the message types the actor's declarations give; the public ActorQueue interface types them.
	async tryNextBatch(options: ReceiveOptions<string> & { count: number }): Promise<any[]> {
		const messages = await this.#queue.receive(options, false, this.#holder);
		return this.#queue.leases.views(messages, options.completable === true, this.#holder);
	}

	// biome-ignore lint/suspicious/noExplicitAny: queue views return the message types the actor's declarations give; the public ActorQueue interface types them.
	iter(options: Omit<ReceiveOptions<string>, "timeout"> = {}): AsyncIterable<any> {
		return iterate(this.#queue, options, this.#holder);
	}

	deadLetters(options?: { limit?: number }): Promise<DeadLetter[]> {
		return this.#queue.dead.list(options?.limit);
	}

	retryDeadLetter(id: string): Promise<boolean> {
		return this.#queue.retryDeadLetter(id);
	}

	deleteDeadLetter(id: string): Promise<boolean> {
		return this.#queue.dead.take(id).then((letter) => letter !== undefined);
	}
}

/** What a receiver gets of `message`: with `complete` when it was received completable. */
export function messageView(
	message: StoredMessage,
	complete: ((response?: unknown) => Promise<void>) | undefined,
): QueueMessage & { complete?: (response?: unknown) => Promise<void> } {
	const view = {
		id: String(message.seq),
		name: message.name,
		body: message.body,
		createdAt: message.createdAt,
	};
	return complete === undefined ? view : { ...view, complete };
}
