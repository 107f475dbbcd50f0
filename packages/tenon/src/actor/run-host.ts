import type { Clock } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import type { Entry, KeyRange } from "../storage/interfaces.js";
import type { ActorContext } from "./context.js";

/**
 * The actor's stored entries as a run provider sees them: reads include
 * writes not yet committed; writes are buffered and commit with the actor's
 * next turn (atomically with its state).
 */
export interface RunStorage {
	get(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
	list(range: KeyRange): Promise<Entry[]>;
	put(key: Uint8Array, value: Uint8Array): void;
	delete(key: Uint8Array): void;
	deleteRange(range: KeyRange): void;
}

/** A queue message handed to a run provider. */
export interface RunQueueMessage {
	readonly id: string;
	readonly name: string;
	readonly body: unknown;
	readonly createdAt: number;
	/** Present for a `completable` receive: acknowledges (and answers) the message. */
	readonly complete?: (response?: unknown) => Promise<void>;
}

/**
 * Lets a receive take messages only while its provider may keep them (a
 * workflow race's branch: workflow/race-gate.ts). Asked when messages are
 * there to take, before they are taken: a refused receive takes nothing (no
 * delivery counted, nothing to give back) and waits on, tried again once
 * {@link free} resolves.
 */
export interface ReceiveGate {
	/** True when the receive may take messages now; it then holds the gate until {@link release}. */
	tryHold(): boolean;
	/** The messages held for reached the receive (or went back): the hold ends. */
	release(): void;
	/** Resolves once a receive refused now may try again. */
	free(): Promise<void>;
}

/** The actor's queues as a run provider sees them. */
export interface RunQueue {
	/**
	 * Waits for up to `count` messages (all names, or `names`), or `timeout`
	 * ms, or `signal`; with `gate`, takes them only while the gate lets it.
	 */
	nextBatch(options: {
		count: number;
		names?: readonly string[];
		completable?: boolean;
		timeout?: number;
		signal?: AbortSignal;
		gate?: ReceiveGate;
	}): Promise<RunQueueMessage[]>;
	/**
	 * Takes over a message received with `completable: true` by an earlier
	 * run or before the actor restarted (it is still stored, and kept from
	 * other receivers until the provider takes it over or calls
	 * {@link restored}); undefined when it is gone, or from a run that failed
	 * or halted. A message an earlier run is completing stays that
	 * completion's: if it succeeds, completing it again does nothing.
	 */
	lease(id: string): { complete(response?: unknown): Promise<void> } | undefined;
	/**
	 * The provider took over every message it still holds from earlier lives:
	 * the others it received completable then go back to the queue. Also done
	 * at its first `nextBatch`, and when its run returns.
	 */
	restored(): void;
	/** Gives back messages it holds and will not complete (its work ended, or was rewound). */
	release(ids: readonly string[]): void;
	/**
	 * Gives back messages a {@link nextBatch} just returned that the provider
	 * never used (a workflow race's losing branch got them at the same moment
	 * as the winner): they go back where they were, as if never handed out,
	 * plain ones too (their removal, written in the same turn, never commits),
	 * delivery counts as before (but for a careful hand-out, after a crash: its
	 * raised count committed before the hand-out; a {@link ReceiveGate} keeps a
	 * race's losers from taking any). Nothing for one completed or given back
	 * since.
	 */
	giveBack(messages: readonly RunQueueMessage[]): void;
}

/**
 * What a run provider (`workflow()` from `tenon/workflow`) gets from the
 * actor it drives, once per wake: the published port between the runtime
 * and such plugins, as {@link DatabaseHost} is for databases.
 */
export interface RunHost {
	readonly actorId: string;
	readonly log: Logger;
	readonly clock: Clock;
	/** Fires when the actor starts to stop (sleep, destroy, shutdown): the provider winds down. */
	readonly abortSignal: AbortSignal;
	/**
	 * The actor context steps run with. Its type parameters are the actor's,
	 * which a provider built for any actor cannot name.
	 */
	// biome-ignore lint/suspicious/noExplicitAny: a provider serves actors of every state, params and event type.
	readonly context: ActorContext<any, any, any, any, any, any, any>;
	/**
	 * The actor context for one attempt of a step: as {@link context}, with
	 * `attempt` (1 for the first) and `abortSignal` (and `aborted`) reading
	 * `signal`, which the provider aborts when it gives the attempt up.
	 */
	attemptContext(attempt: number, signal: AbortSignal): RunHost["context"];
	readonly storage: RunStorage;
	readonly queue: RunQueue;
	/** The run failed for good (counted in `tenon_workflows_failed_total`); optional for hosts made before it. */
	failed?(): void;
	/** Counts `work` as a turn of the actor (it commits when the work settles). */
	track<T>(work: Promise<T>): Promise<T>;
	/**
	 * Commits every write made so far (state, storage) and resolves once it is
	 * durable, whatever the actor's durability mode: for a provider that must
	 * know a record is on disk before it runs code that may kill the process.
	 */
	persist(): Promise<void>;
	/**
	 * Resolves once the writes made so far are durable, as an output made now
	 * would wait for them (at once in relaxed durability): for a provider that
	 * must not let code reach the outside world before what preceded it is stored.
	 */
	writesDurable(): Promise<void>;
	/**
	 * Runs `fn` when the actor stops gracefully (sleep, destroy, shutdown),
	 * after the run's grace period and the stop hook, right before the stop's
	 * final commit: what `fn` writes goes in that commit and no earlier one.
	 * Once per registration; returns what unregisters it.
	 */
	beforeFinalCommit(fn: () => void): () => void;
	/** The plain value behind a state proxy (before storing or returning it). */
	toRaw<T>(value: T): T;
	/**
	 * True: the provider only waits (a durable sleep, a queue wait), so the
	 * actor may go to sleep. False: it is working and keeps the actor awake.
	 */
	setIdle(idle: boolean): void;
	/**
	 * When the actor must be awake again for this provider (part of its
	 * alarm, so a sleeping or crashed actor is woken then); undefined: never.
	 */
	setWakeAt(at: number | undefined): void;
}

/**
 * An actor's `run` option as a plugin (`workflow()` from `tenon/workflow`):
 * the runtime starts it with a {@link RunHost} after every wake (and
 * restarts it with backoff when it fails, like a `run` function). It is
 * callable so that it fits where the `run` function goes (and is typed like
 * one, so the actor's types flow into it); the runtime never calls it.
 */
export interface RunProvider<C = unknown> {
	(c: C): Promise<void>;
	/** What the inspector shows it as (`"workflow"` for `tenon/workflow`). */
	readonly kind: string;
	run(host: RunHost): Promise<void>;
	/**
	 * Optional: moves the provider's stored progress back so that its next run
	 * does the work again from `point` (the inspector's "replay from step").
	 * The runtime calls it with the provider halted (no run in flight), inside
	 * a turn of the actor's own: `storage` reads see committed data and its
	 * writes commit with that turn; the runtime then starts a new run. `point`
	 * comes from an operator's request: validate it, and throw an `ActorError`
	 * to refuse (nothing is written and the run starts again unchanged).
	 */
	rewind?(storage: RunStorage, point: unknown): Promise<RunRewind>;
}

/** What {@link RunProvider.rewind} did, for the audit log and the caller. */
export interface RunRewind {
	/** A readable name of the point the work starts again from (a step's name). */
	readonly from: string;
	/** When the work at `point` was first started (ms): the state before it is the one to restore. */
	readonly startedAt: number;
	/** How many recorded entries were removed. */
	readonly removed: number;
	/** Queue messages the removed work received and did not complete: they are available again. */
	readonly releases?: readonly string[];
}

/** True when an actor's `run` option is a {@link RunProvider}. */
export function isRunProvider(run: unknown): run is RunProvider {
	return (
		typeof run === "function" &&
		typeof (run as RunProvider).run === "function" &&
		typeof (run as RunProvider).kind === "string"
	);
}
