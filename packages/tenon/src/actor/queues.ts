import type { StandardSchemaV1 } from "./schema.js";

/**
 * A typed queue declaration: message body `Body`, completion reply `Reply`.
 * Optional Standard Schemas validate bodies (and replies) at runtime.
 *
 * @example
 * queues: { jobs: queue<{ id: string }, { ok: boolean }>() }
 */
export interface QueueToken<Body, Reply = undefined> {
	readonly __queueBody?: Body;
	readonly __queueReply?: Reply;
	readonly message?: StandardSchemaV1 | undefined;
	readonly complete?: StandardSchemaV1 | undefined;
}

/** Declares a queue (see {@link QueueToken}). */
export function queue<Body, Reply = undefined>(
	schemas: { message?: StandardSchemaV1; complete?: StandardSchemaV1 } = {},
): QueueToken<Body, Reply> {
	return { message: schemas.message, complete: schemas.complete };
}

/** A map of queue declarations. */
export type QueueDecls = Record<string, QueueToken<any, any>>;

/** Queue names of a declaration map. */
export type QueueName<Q> = keyof Q & string;

/** Body type of queue `K`. */
export type QueueBody<Q, K extends keyof Q> = Q[K] extends QueueToken<infer B, any> ? B : unknown;

/** Reply type of queue `K`. */
export type QueueReply<Q, K extends keyof Q> = Q[K] extends QueueToken<any, infer R> ? R : unknown;

/** A received queue message. */
export interface QueueMessage<Name extends string = string, Body = unknown> {
	/** Unique id (increasing per actor). */
	readonly id: string;
	readonly name: Name;
	readonly body: Body;
	/** When the message was enqueued (ms). */
	readonly createdAt: number;
}

/** A message received with `completable: true`: stored until completed, redelivered after a crash. */
export interface CompletableQueueMessage<
	Name extends string = string,
	Body = unknown,
	Reply = unknown,
> extends QueueMessage<Name, Body> {
	/** Removes the message for good and answers a sender waiting with `wait: true`. */
	complete(
		...response: Reply extends undefined ? [response?: Reply] : [response: Reply]
	): Promise<void>;
}

/** The union of message types for the queues `K`. */
export type MessageOf<Q, K extends keyof Q> = {
	[N in K & string]: QueueMessage<N, QueueBody<Q, N>>;
}[K & string];

/** The union of completable message types for the queues `K`. */
export type CompletableMessageOf<Q, K extends keyof Q> = {
	[N in K & string]: CompletableQueueMessage<N, QueueBody<Q, N>, QueueReply<Q, N>>;
}[K & string];

/** Options for receiving. */
export interface ReceiveOptions<K> {
	/** Only these queues (default: all). */
	names?: readonly K[];
	/** Give up after this many ms and resolve `undefined` (default: wait forever). */
	timeout?: number;
	/** Abort the wait (rejects with the signal's reason). */
	signal?: AbortSignal;
	/** Keep the message stored until `complete()` (at-least-once delivery). */
	completable?: boolean;
}

/**
 * The actor's durable queues (`c.queue`). Messages are saved in the same
 * commit as state; a `run` loop typically consumes them.
 */
export interface ActorQueue<Q> {
	/** Enqueues a message (saved with the current turn's writes). */
	send<K extends QueueName<Q>>(name: K, body: QueueBody<Q, K>): Promise<void>;
	/** Waits for the next message; `undefined` on timeout. */
	next<K extends QueueName<Q> = QueueName<Q>>(
		options: ReceiveOptions<K> & { completable: true },
	): Promise<CompletableMessageOf<Q, K> | undefined>;
	next<K extends QueueName<Q> = QueueName<Q>>(
		options?: ReceiveOptions<K>,
	): Promise<MessageOf<Q, K> | undefined>;
	/** The next message if one is waiting, without waiting. */
	tryNext<K extends QueueName<Q> = QueueName<Q>>(
		options: Omit<ReceiveOptions<K>, "timeout" | "signal"> & { completable: true },
	): Promise<CompletableMessageOf<Q, K> | undefined>;
	tryNext<K extends QueueName<Q> = QueueName<Q>>(
		options?: Omit<ReceiveOptions<K>, "timeout" | "signal">,
	): Promise<MessageOf<Q, K> | undefined>;
	/** Waits for at least one message and returns up to `count`. */
	nextBatch<K extends QueueName<Q> = QueueName<Q>>(
		options: ReceiveOptions<K> & { count: number; completable: true },
	): Promise<CompletableMessageOf<Q, K>[]>;
	nextBatch<K extends QueueName<Q> = QueueName<Q>>(
		options: ReceiveOptions<K> & { count: number },
	): Promise<MessageOf<Q, K>[]>;
	/** Up to `count` waiting messages, without waiting. */
	tryNextBatch<K extends QueueName<Q> = QueueName<Q>>(
		options: Omit<ReceiveOptions<K>, "timeout" | "signal"> & { count: number },
	): Promise<MessageOf<Q, K>[]>;
	/** Messages as they arrive, until the actor stops or `signal` aborts. */
	iter<K extends QueueName<Q> = QueueName<Q>>(
		options: Omit<ReceiveOptions<K>, "timeout"> & { completable: true },
	): AsyncIterable<CompletableMessageOf<Q, K>>;
	iter<K extends QueueName<Q> = QueueName<Q>>(
		options?: Omit<ReceiveOptions<K>, "timeout">,
	): AsyncIterable<MessageOf<Q, K>>;
	/** Messages stored right now (including received, not yet completed ones). */
	readonly size: number;
}

/** True when `value` came from {@link queue}. */
export function isQueueToken(value: unknown): value is QueueToken<unknown, unknown> {
	return typeof value === "object" && value !== null && "message" in value && "complete" in value;
}
