import type { Clock, TimerHandle } from "../common/clock.js";

/** The result of a queue send that waited for completion. */
export interface QueueSendResult {
	status: "completed" | "timedOut";
	response?: unknown;
}

/** How a sender waits for its message's completion. */
export interface SendWait {
	/** Give up (answering `timedOut`) after this many ms. */
	timeoutMs: number | undefined;
	/** Stop waiting (answering `timedOut`) when this aborts, e.g. when the sender went away. */
	signal?: AbortSignal | undefined;
	/**
	 * Turns the result into the sender's answer (e.g. encodes it for HTTP).
	 * Called when the result is decided, so the answer never shows writes of
	 * later turns; the promise resolves with what it returns. Default: the result.
	 */
	encode?: (result: QueueSendResult) => unknown;
}

interface SendWaiter {
	/** Settles the sender's wait with its (encoded) answer. */
	resolve(answer: unknown): void;
	/** Fails the sender's wait (its answer could not be encoded). */
	reject(error: unknown): void;
	/** Turns the result into the sender's answer, at the moment it is decided. */
	encode(result: QueueSendResult): unknown;
	timer: TimerHandle | undefined;
}

/** What the senders' waits need from their actor. */
export interface SendersDeps {
	clock: Clock;
	/**
	 * Keeps the actor from sleeping while `promise` is pending (a waiting
	 * sender's answer lives in memory only); a stop does not wait for it.
	 */
	holdAwake<T>(promise: Promise<T>): Promise<T>;
	/** The plain value behind a state proxy. */
	toRaw<T>(value: T): T;
	/** The generation that must be durable before an answer may leave. */
	outputGeneration(): number;
	whenDurable(generation: number): Promise<void>;
}

/**
 * Senders waiting for their messages' completion (`send(..., { wait })`):
 * each wait ends with the completion, at its timeout, when the sender goes
 * away, or when the actor stops; never before the completion is durable.
 */
export class QueueSenders {
	readonly #deps: SendersDeps;
	#waiting: Map<number, SendWaiter> | undefined;
	/** The actor stopped (see close). */
	#closed = false;
	/** Why it closed, when waiting senders fail rather than time out (a destroy). */
	#closedWith: unknown;

	constructor(deps: SendersDeps) {
		this.#deps = deps;
	}

	/** Waits until message `seq` is completed, or the wait times out or is aborted. */
	wait(seq: number, wait: SendWait): Promise<unknown> {
		const { clock } = this.#deps;
		const encode = wait.encode ?? ((result: QueueSendResult) => result);
		// The actor stopped meanwhile (a send whose turn outlasted the stop's grace period):
		// answered at once, not at its timeout.
		if (this.#closed)
			return this.#closedWith === undefined
				? Promise.resolve(encode({ status: "timedOut" }))
				: Promise.reject(this.#closedWith);
		const promise = new Promise<unknown>((resolve, reject) => {
			const waiter: SendWaiter = { resolve, reject, encode, timer: undefined };
			const giveUp = () => {
				if (this.#waiting?.get(seq) !== waiter) return;
				this.#waiting.delete(seq);
				if (waiter.timer !== undefined) clock.clearTimeout(waiter.timer);
				resolve(encode({ status: "timedOut" }));
			};
			const { timeoutMs, signal } = wait;
			if (timeoutMs !== undefined && Number.isFinite(timeoutMs))
				waiter.timer = clock.setTimeout(giveUp, Math.max(0, timeoutMs));
			// A sender that went away stops waiting, so it no longer keeps the actor awake.
			if (signal) {
				if (signal.aborted) queueMicrotask(giveUp);
				else signal.addEventListener("abort", giveUp, { once: true });
			}
			this.#waiting ??= new Map();
			this.#waiting.set(seq, waiter);
		});
		// A waiting sender keeps the actor awake: its answer lives in memory only. A stop
		// answers it (close) after its grace period's work, but does not wait for it.
		return this.#deps.holdAwake(promise);
	}

	/** The sender waiting for message `seq`, no longer waiting (its timer cleared), if any. */
	#take(seq: number): SendWaiter | undefined {
		const sender = this.#waiting?.get(seq);
		if (!sender) return undefined;
		this.#waiting?.delete(seq);
		if (sender.timer !== undefined) this.#deps.clock.clearTimeout(sender.timer);
		return sender;
	}

	/**
	 * Message `seq` was set aside as a dead letter: its sender gets `error` once that is
	 * durable. (It waited its whole timeout before 2026-11-27, was answered `timedOut`, which
	 * says the message stays queued, and kept the actor awake meanwhile: an attacker probe.)
	 */
	deadLettered(seq: number, error: unknown): void {
		const sender = this.#take(seq);
		if (!sender) return;
		void this.#deps.whenDurable(this.#deps.outputGeneration()).then(
			() => sender.reject(error),
			() => sender.resolve(sender.encode({ status: "timedOut" })),
		);
	}

	/** Message `seq` was completed with `reply`: its sender's answer leaves once that is durable. */
	completed(seq: number, reply: unknown): void {
		const sender = this.#take(seq);
		if (!sender) return;
		const deps = this.#deps;
		// The sender's answer is an output: encoded now (so later turns cannot
		// change it), it leaves once the removal is durable.
		let settle: () => void;
		try {
			const answer = sender.encode({
				status: "completed" as const,
				...(reply === undefined ? {} : { response: deps.toRaw(reply) }),
			});
			settle = () => sender.resolve(answer);
		} catch (error) {
			// E.g. a reply over the HTTP limit: the sender learns why.
			settle = () => sender.reject(error);
		}
		const generation = deps.outputGeneration();
		void deps
			.whenDurable(generation)
			.then(settle, () => sender.resolve(sender.encode({ status: "timedOut" })));
	}

	/**
	 * The actor is stopping: every waiting sender is answered `timedOut` (its
	 * message stays queued), or fails with `error` (a destroy: the message is
	 * gone with the actor; it was told `timedOut`, "stays queued", before
	 * 2026-11-28: an attacker probe).
	 */
	close(error?: unknown): void {
		if (!this.#closed) this.#closedWith = error;
		this.#closed = true;
		for (const [seq, sender] of this.#waiting ?? []) {
			if (sender.timer !== undefined) this.#deps.clock.clearTimeout(sender.timer);
			this.#waiting?.delete(seq);
			if (this.#closedWith === undefined) sender.resolve(sender.encode({ status: "timedOut" }));
			else sender.reject(this.#closedWith);
		}
	}
}
