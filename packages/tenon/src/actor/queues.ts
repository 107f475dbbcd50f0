import type { AccessCheck } from "./events.js";
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
	/** Decides whether a client may send to the queue (see {@link QueueOptions}). */
	readonly canPublish?: AccessCheck | undefined;
}

/** Options of {@link queue}. */
export interface QueueOptions {
	/** Validates message bodies when they are sent (`queue/invalid_message`). */
	message?: StandardSchemaV1;
	/** Validates completion replies (`queue/invalid_reply`). */
	complete?: StandardSchemaV1;
	/**
	 * Runs for every send from a client, after the connect hooks (`c.conn`
	 * is the sender's short-lived connection, `c.request` its request); false
	 * refuses it with `auth/forbidden`. Sends from the actor itself are not checked.
	 *
	 * @example
	 * queues: { jobs: queue<Job>({ canPublish: (c) => c.conn.state.role === "operator" }) }
	 */
	canPublish?: AccessCheck;
}

/** Declares a queue (see {@link QueueToken}). */
export function queue<Body, Reply = undefined>(
	options: QueueOptions = {},
): QueueToken<Body, Reply> {
	return { message: options.message, complete: options.complete, canPublish: options.canPublish };
}

/** A queue only the actor itself sends to (see {@link internalQueue}). */
export interface InternalQueueToken<Body, Reply = undefined> extends QueueToken<Body, Reply> {
	readonly __queueInternal: true;
}

const refuseClients = (): boolean => false;

/**
 * Declares a queue only the actor itself sends to (its actions, hooks and `run`, `c.queue.send`):
 * a client's send is refused (`auth/forbidden`, as a `canPublish` that says no), and the typed
 * client does not offer it (`handle.send` takes the other queues' names only).
 *
 * @example
 * queues: { jobs: queue<Job>(), retries: internalQueue<Job>() }
 */
export function internalQueue<Body, Reply = undefined>(
	options: Omit<QueueOptions, "canPublish"> = {},
): InternalQueueToken<Body, Reply> {
	return {
		message: options.message,
		complete: options.complete,
		canPublish: refuseClients,
		__queueInternal: true,
	};
}

/** Names of the queues of `Q` a client may send to: all but {@link internalQueue}s. */
export type ClientQueueName<Q> = {
	[K in keyof Q & string]: Q[K] extends { readonly __queueInternal: true } ? never : K;
}[keyof Q & string];

/** A map of queue declarations. */
// biome-ignore lint/suspicious/noExplicitAny: a type-level wildcard: `unknown` would fail the check for specific types (function parameters are contravariant).
export type QueueDecls = Record<string, QueueToken<any, any>>;

/** Queue names of a declaration map. */
export type QueueName<Q> = keyof Q & string;

/** Body type of queue `K`. */
// biome-ignore lint/suspicious/noExplicitAny: a type-level wildcard: `unknown` would fail the check for specific types (function parameters are contravariant).
export type QueueBody<Q, K extends keyof Q> = Q[K] extends QueueToken<infer B, any> ? B : unknown;

/** Reply type of queue `K`. */
// biome-ignore lint/suspicious/noExplicitAny: a type-level wildcard: `unknown` would fail the check for specific types (function parameters are contravariant).
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
	names?: readonly K[] | undefined;
	/** Give up after this many ms and resolve `undefined` (default: wait forever). */
	timeout?: number | undefined;
	/** Abort the wait (rejects with the signal's reason). */
	signal?: AbortSignal | undefined;
	/** Keep the message stored until `complete()` (at-least-once delivery). */
	completable?: boolean | undefined;
}

/**
 * A message set aside after `maxQueueDeliveries` deliveries without
 * completion (its consumer kept failing on it). Kept, up to
 * `maxDeadLetters`, for inspection and retry.
 */
export interface DeadLetter {
	/** The message's id (unchanged). */
	readonly id: string;
	readonly name: string;
	readonly body: unknown;
	/** When the message was enqueued (ms). */
	readonly createdAt: number;
	/** How many times it was delivered. */
	readonly deliveries: number;
	/** When it was set aside (ms). */
	readonly deadAt: number;
	/** Why it was set aside. */
	readonly reason: string;
}

/**
 * The actor's durable queues (`c.queue`). Messages are saved in the same
 * commit as state; a `run` loop typically consumes them.
 */
export interface ActorQueue<Q> {
	/** Enqueues a message (saved with the current turn's writes). */
	send<K extends QueueName<Q>>(name: K, body: QueueBody<Q, K>): Promise<void>;
	/**
	 * Enqueues a message and waits until a receiver completes it (or `timeout`
	 * ms pass, or `signal` aborts: `timedOut`), as a client's `send` with
	 * `wait: true` (RivetKit's `enqueueAndWait`). For an action waiting on its
	 * `run` loop: the loop itself would wait for its own message (until `timeout`).
	 */
	enqueueAndWait<K extends QueueName<Q>>(
		name: K,
		body: QueueBody<Q, K>,
		options?: { timeout?: number; signal?: AbortSignal },
	): Promise<{ status: "completed" | "timedOut"; response?: QueueReply<Q, K> }>;
	/** Waits for the next message; `undefined` on timeout. */
	next<K extends QueueName<Q> = QueueName<Q>>(
		options: ReceiveOptions<K> & { completable: true },
	): Promise<CompletableMessageOf<Q, K> | undefined>;
	next<K extends QueueName<Q> = QueueName<Q>>(
		options?: ReceiveOptions<K>,
	): Promise<MessageOf<Q, K> | undefined>;
	/** `next({ ...options, names })`, as RivetKit's `waitForNames`. */
	waitForNames<K extends QueueName<Q>>(
		names: readonly K[],
		options: Omit<ReceiveOptions<K>, "names"> & { completable: true },
	): Promise<CompletableMessageOf<Q, K> | undefined>;
	waitForNames<K extends QueueName<Q>>(
		names: readonly K[],
		options?: Omit<ReceiveOptions<K>, "names">,
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
		options: Omit<ReceiveOptions<K>, "timeout" | "signal"> & { count: number; completable: true },
	): Promise<CompletableMessageOf<Q, K>[]>;
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
	/** Dead letters, oldest first (see {@link DeadLetter}). */
	deadLetters(options?: { limit?: number | undefined }): Promise<DeadLetter[]>;
	/** Puts a dead letter back on its queue with a fresh delivery count; false if there is none. */
	retryDeadLetter(id: string): Promise<boolean>;
	/** Deletes a dead letter for good; false if there is none. */
	deleteDeadLetter(id: string): Promise<boolean>;
}

/** True when `value` came from {@link queue}. */
export function isQueueToken(value: unknown): value is QueueToken<unknown, unknown> {
	return typeof value === "object" && value !== null && "message" in value && "complete" in value;
}
