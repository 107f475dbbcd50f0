import type { ActorQueue, QueueDecls, QueueMessage, ReceiveOptions } from "../actor/queues.js";
import { describeIssues, type StandardSchemaV1 } from "../actor/schema.js";
import type { TimerHandle } from "../common/clock.js";
import { cborDecode, cborEncode } from "../protocol/encoding.js";
import { ActorError, errors } from "../protocol/errors.js";
import type { ActorStore } from "../storage/interfaces.js";
import type { ActorCore } from "./actor-core.js";
import { AREA } from "./actor-keys.js";
import type { PendingWrites } from "./pending-writes.js";
import { assertStorable } from "./storable.js";

const META_KEY = Uint8Array.of(AREA.QUEUE, 0x00);
const MESSAGE_PREFIX = [AREA.QUEUE, 0x01] as const;
const MESSAGE_RANGE = {
	start: Uint8Array.of(...MESSAGE_PREFIX),
	end: Uint8Array.of(AREA.QUEUE, 0x02),
};

function messageKey(seq: number): Uint8Array {
	const key = new Uint8Array(10);
	key.set(MESSAGE_PREFIX, 0);
	new DataView(key.buffer).setBigUint64(2, BigInt(seq));
	return key;
}

interface StoredMessage {
	seq: number;
	name: string;
	body: unknown;
	createdAt: number;
	/** Received with `completable: true` and not completed yet. */
	leased: boolean;
}

interface ReceiveWaiter {
	names: ReadonlySet<string> | undefined;
	completable: boolean;
	count: number;
	resolve(messages: StoredMessage[]): void;
	reject(error: unknown): void;
	cleanup(): void;
}

interface SendWaiter {
	resolve(result: { status: "completed" | "timedOut"; response?: unknown }): void;
	timer: TimerHandle | undefined;
}

/** The result of a queue send that waited for completion. */
export interface QueueSendResult {
	status: "completed" | "timedOut";
	response?: unknown;
}

const queueErrors = {
	notFound: (name: string) =>
		new ActorError("queue", "not_found", `The actor has no queue named '${name}'`, { name }),
	full: (limit: number) =>
		new ActorError("queue", "full", `The actor's queues hold ${limit} messages already`, { limit }),
	tooLarge: (size: number, limit: number) =>
		new ActorError(
			"queue",
			"message_too_large",
			`Queue message is ${size} bytes (limit ${limit})`,
			{ size, limit },
		),
	invalidMessage: (name: string, issues: unknown) =>
		new ActorError("queue", "invalid_message", `Message does not match queue '${name}'`, {
			name,
			issues,
		}),
	invalidReply: (name: string, issues: unknown) =>
		new ActorError("queue", "invalid_reply", `Completion does not match queue '${name}'`, {
			name,
			issues,
		}),
	alreadyCompleted: () =>
		new ActorError("queue", "already_completed", "The message was already completed"),
};

/**
 * `c.queue`: durable per-actor queues. Messages are stored under area 0x04
 * through the actor's buffered writes (so an enqueue commits with the turn).
 * A plain receive removes the message; a completable one keeps it stored
 * until `complete()`, so a crash before completion redelivers it.
 */
export class QueueManager implements ActorQueue<QueueDecls> {
	readonly #core: ActorCore;
	readonly #writes: PendingWrites;
	readonly #declarations: QueueDecls;
	#messages: StoredMessage[] = [];
	#nextSeq = 1;
	#receivers: ReceiveWaiter[] = [];
	/** Made on the first waiting send. */
	#senders: Map<number, SendWaiter> | undefined;

	/** Called when messages are stored or removed (the actor's alarm may change). */
	#onChange: () => void = () => {};

	constructor(core: ActorCore, writes: PendingWrites, declarations: QueueDecls | undefined) {
		this.#core = core;
		this.#writes = writes;
		this.#declarations = declarations ?? {};
	}

	/** Registers the callback for changes to the stored messages. */
	onChange(callback: () => void): void {
		this.#onChange = callback;
	}

	/** When the oldest stored message was enqueued, if any. */
	get oldestCreatedAt(): number | undefined {
		return this.#messages[0]?.createdAt;
	}

	/** Loads stored messages (all available again: leases do not survive a restart). */
	async load(store: ActorStore, actorId: string): Promise<void> {
		const [meta] = await store.get(actorId, [META_KEY]);
		if (meta !== undefined) this.#nextSeq = (cborDecode(meta) as { nextSeq: number }).nextSeq;
		const entries = await store.list(actorId, MESSAGE_RANGE);
		this.#messages = entries.map(([key, value]) => {
			const record = cborDecode(value) as { n: string; b: unknown; t: number };
			const seq = Number(new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(2));
			return { seq, name: record.n, body: record.b, createdAt: record.t, leased: false };
		});
	}

	get size(): number {
		return this.#messages.length;
	}

	/** True while something waits to receive (a `run` loop blocked on the queue does not keep the actor awake). */
	get hasReceivers(): boolean {
		return this.#receivers.length > 0;
	}

	#schema(name: string): {
		message?: StandardSchemaV1 | undefined;
		complete?: StandardSchemaV1 | undefined;
	} {
		const declaration = this.#declarations[name];
		if (declaration === undefined || !Object.hasOwn(this.#declarations, name))
			throw queueErrors.notFound(name);
		return declaration;
	}

	/**
	 * Validates and stores a message. With `wait`, the completion waiter is
	 * registered in the same step, before any receiver can complete it.
	 */
	async enqueue(
		name: string,
		body: unknown,
		wait?: { timeoutMs: number | undefined },
	): Promise<{ seq: number; completion: Promise<QueueSendResult> | undefined }> {
		const schema = this.#schema(name).message;
		let value = body;
		if (schema) {
			const result = await schema["~standard"].validate(body);
			if (result.issues) throw queueErrors.invalidMessage(name, describeIssues(result.issues));
			value = result.value;
		}
		value = this.#core.toRaw(value);
		assertStorable(value, `queue.${name}`);
		const encoded = cborEncode({ n: name, b: value, t: this.#core.clock.now() });
		const limit = this.#core.options.maxQueueMessageSize;
		if (encoded.byteLength > limit) throw queueErrors.tooLarge(encoded.byteLength, limit);
		if (this.#messages.length >= this.#core.options.maxQueueSize)
			throw queueErrors.full(this.#core.options.maxQueueSize);
		const seq = this.#nextSeq++;
		this.#writes.put(messageKey(seq), encoded);
		this.#writes.put(META_KEY, cborEncode({ nextSeq: this.#nextSeq }));
		this.#messages.push({
			seq,
			name,
			body: value,
			createdAt: this.#core.clock.now(),
			leased: false,
		});
		const completion =
			wait === undefined ? undefined : this.#waitForCompletion(seq, wait.timeoutMs);
		this.#onChange();
		this.#deliver();
		return { seq, completion };
	}

	async send(name: string, body: unknown): Promise<void> {
		await this.enqueue(name, body);
	}

	/** Waits until message `seq` is completed, or `timeoutMs` passes. */
	#waitForCompletion(seq: number, timeoutMs: number | undefined): Promise<QueueSendResult> {
		const promise = new Promise<QueueSendResult>((resolve) => {
			const waiter: SendWaiter = { resolve, timer: undefined };
			if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
				waiter.timer = this.#core.clock.setTimeout(
					() => {
						this.#senders?.delete(seq);
						resolve({ status: "timedOut" });
					},
					Math.max(0, timeoutMs),
				);
			}
			this.#senders ??= new Map();
			this.#senders.set(seq, waiter);
		});
		// A waiting sender keeps the actor awake: its answer lives in memory only.
		return this.#core.keepAwake(promise);
	}

	#available(names: ReadonlySet<string> | undefined): StoredMessage | undefined {
		for (const message of this.#messages) {
			if (!message.leased && (names === undefined || names.has(message.name))) return message;
		}
		return undefined;
	}

	/** Takes up to `count` available messages for a receiver. */
	#take(
		names: ReadonlySet<string> | undefined,
		completable: boolean,
		count: number,
	): StoredMessage[] {
		const taken: StoredMessage[] = [];
		for (const message of this.#messages) {
			if (taken.length >= count) break;
			if (message.leased || (names !== undefined && !names.has(message.name))) continue;
			taken.push(message);
		}
		for (const message of taken) {
			if (completable) {
				message.leased = true;
			} else {
				this.#remove(message);
			}
		}
		return taken;
	}

	#remove(message: StoredMessage): void {
		const index = this.#messages.indexOf(message);
		if (index >= 0) this.#messages.splice(index, 1);
		this.#writes.delete(messageKey(message.seq));
		this.#onChange();
	}

	#deliver(): void {
		for (const receiver of [...this.#receivers]) {
			if (this.#available(receiver.names) === undefined) continue;
			const messages = this.#take(receiver.names, receiver.completable, receiver.count);
			receiver.cleanup();
			receiver.resolve(messages);
		}
	}

	#view(
		message: StoredMessage,
		completable: boolean,
	): QueueMessage & { complete?: (response?: unknown) => Promise<void> } {
		const view = {
			id: String(message.seq),
			name: message.name,
			body: message.body,
			createdAt: message.createdAt,
		};
		if (!completable) return view;
		return { ...view, complete: (response?: unknown) => this.#complete(message, response) };
	}

	async #complete(message: StoredMessage, response: unknown): Promise<void> {
		if (!message.leased || !this.#messages.includes(message)) throw queueErrors.alreadyCompleted();
		const schema = this.#schema(message.name).complete;
		let reply = response;
		if (schema) {
			const result = await schema["~standard"].validate(response);
			if (result.issues)
				throw queueErrors.invalidReply(message.name, describeIssues(result.issues));
			reply = result.value;
		}
		this.#remove(message);
		const sender = this.#senders?.get(message.seq);
		if (sender) {
			this.#senders?.delete(message.seq);
			if (sender.timer !== undefined) this.#core.clock.clearTimeout(sender.timer);
			// The sender's answer is an output: it leaves once the removal is durable.
			const generation = this.#core.outputGeneration();
			const answer = {
				status: "completed" as const,
				...(reply === undefined ? {} : { response: this.#core.toRaw(reply) }),
			};
			void this.#core.whenDurable(generation).then(
				() => sender.resolve(answer),
				() => sender.resolve({ status: "timedOut" }),
			);
		}
		this.#core.maybeIdle();
	}

	#receive(
		options: ReceiveOptions<string> & { count?: number },
		wait: boolean,
	): Promise<StoredMessage[]> {
		const names = options.names === undefined ? undefined : new Set(options.names);
		for (const name of names ?? []) this.#schema(name);
		const completable = options.completable === true;
		const count = Math.max(1, options.count ?? 1);
		const ready = this.#take(names, completable, count);
		if (ready.length > 0 || !wait) return Promise.resolve(ready);
		const signals = [this.#core.abortSignal, options.signal].filter(
			(s): s is AbortSignal => s !== undefined,
		);
		const aborted = signals.find((signal) => signal.aborted);
		if (aborted) return Promise.reject(aborted.reason);
		return new Promise<StoredMessage[]>((resolve, reject) => {
			let timer: TimerHandle | undefined;
			const onAbort = (event: Event) => {
				cleanup();
				reject((event.target as AbortSignal).reason);
			};
			const cleanup = () => {
				this.#receivers = this.#receivers.filter((r) => r !== waiter);
				if (timer !== undefined) this.#core.clock.clearTimeout(timer);
				for (const signal of signals) signal.removeEventListener("abort", onAbort);
				this.#core.maybeIdle();
			};
			const waiter: ReceiveWaiter = { names, completable, count, resolve, reject, cleanup };
			for (const signal of signals) signal.addEventListener("abort", onAbort, { once: true });
			if (options.timeout !== undefined) {
				timer = this.#core.clock.setTimeout(
					() => {
						cleanup();
						resolve([]);
					},
					Math.max(0, options.timeout),
				);
			}
			this.#receivers.push(waiter);
			this.#core.maybeIdle();
		});
	}

	/**
	 * Leases a stored message again after a restart (a workflow received it
	 * with `completable: true` before the crash), so it is not delivered to
	 * anyone else. Returns its completion, or undefined if it is gone.
	 */
	lease(id: string): { complete(response?: unknown): Promise<void> } | undefined {
		const message = this.#messages.find((candidate) => String(candidate.seq) === id);
		if (message === undefined) return undefined;
		message.leased = true;
		return { complete: (response?: unknown) => this.#complete(message, response) };
	}

	async next(options: ReceiveOptions<string> = {}): Promise<any> {
		const [message] = await this.#receive(options, true);
		return message === undefined ? undefined : this.#view(message, options.completable === true);
	}

	async tryNext(options: ReceiveOptions<string> = {}): Promise<any> {
		const [message] = await this.#receive(options, false);
		return message === undefined ? undefined : this.#view(message, options.completable === true);
	}

	async nextBatch(options: ReceiveOptions<string> & { count: number }): Promise<any[]> {
		const messages = await this.#receive(options, true);
		return messages.map((message) => this.#view(message, options.completable === true));
	}

	async tryNextBatch(options: ReceiveOptions<string> & { count: number }): Promise<any[]> {
		const messages = await this.#receive(options, false);
		return messages.map((message) => this.#view(message, options.completable === true));
	}

	iter(options: Omit<ReceiveOptions<string>, "timeout"> = {}): AsyncIterable<any> {
		const manager = this;
		return {
			async *[Symbol.asyncIterator]() {
				for (;;) {
					if (manager.#core.abortSignal.aborted || options.signal?.aborted) return;
					let message: unknown;
					try {
						message = await manager.next(options);
					} catch (error) {
						// The actor is stopping (or the caller aborted): end the loop quietly.
						if (manager.#core.abortSignal.aborted || options.signal?.aborted) return;
						throw error;
					}
					if (message !== undefined) yield message;
				}
			},
		};
	}

	/** The actor is stopping: waiting receivers end, waiting senders learn it stopped. */
	close(): void {
		for (const receiver of [...this.#receivers]) {
			receiver.cleanup();
			receiver.reject(errors.actorStopped());
		}
		for (const [seq, sender] of this.#senders ?? []) {
			if (sender.timer !== undefined) this.#core.clock.clearTimeout(sender.timer);
			this.#senders?.delete(seq);
			sender.resolve({ status: "timedOut" });
		}
	}
}
