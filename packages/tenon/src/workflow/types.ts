import type { ActorContext, Conn } from "../actor/context.js";
import type { ActorDefinition } from "../actor/definition.js";
import type { EventArgsOf, EventDecls, EventName } from "../actor/events.js";
import type { ActorKv } from "../actor/kv.js";
import type { CompletableMessageOf, MessageOf, QueueName } from "../actor/queues.js";
import type { ActorCron, ActorSchedule } from "../actor/schedule.js";
import type { ActorKeyList } from "../actor/types.js";
import type { Client } from "../client/types.js";
import type { Logger } from "../common/logger.js";
import type { StepFailureKind, WorkflowErrorInfo } from "./errors.js";

/** The kinds of journal entries. */
export type EntryKind =
	| "step"
	| "loop"
	| "sleep"
	| "message"
	| "rollback_checkpoint"
	| "join"
	| "race"
	| "try"
	| "removed"
	| "version_check";

/**
 * What a step's function (and its `rollback`) gets: the actor's context (state, vars, kv,
 * broadcast, client...) for one attempt. Its `abortSignal` is the attempt's: it aborts when
 * the attempt times out, its branch loses a race, or the actor stops; pass it to the
 * `fetch` the step makes, so a timed-out attempt's request does not run on beside its retry.
 */
export type WorkflowStepContext<
	S,
	CP,
	CS,
	V,
	E extends EventDecls,
	Q,
	D = undefined,
> = ActorContext<S, CP, CS, V, E, Q, D> & {
	/** This attempt: 1 for the first, 2 for the first retry, ... (a compensation's counts its crashes). */
	readonly attempt: number;
};

/** Options of one step. */
export interface StepConfig<T, SC> {
	/** Unique within its scope; part of the journal's identity for this step. */
	name: string;
	/** The step's work. Its result is journaled and returned again on replay. */
	run: (c: SC) => T | Promise<T>;
	/**
	 * Compensation run when the workflow (or the enclosing `try` block) fails
	 * after this step completed. Needs a `rollbackCheckpoint` before the step.
	 */
	rollback?: (c: SC, output: Awaited<T>) => void | Promise<void>;
	/** Retries after the first attempt (default 3). */
	maxRetries?: number;
	/** First retry delay in ms, doubled per attempt (default 100). */
	retryBackoffBase?: number;
	/** Longest retry delay in ms (default 30,000). */
	retryBackoffMax?: number;
	/** Time limit per attempt in ms (default 30,000; `Infinity` for none). */
	timeout?: number;
	/** Retry a timed-out attempt like any other failure (default: a timeout fails the step). */
	retryOnTimeout?: boolean;
	/**
	 * Attempts the process died in (a crash, a kill) that the step survives, counted apart
	 * from `maxRetries`. Default: none apart, they count among `maxRetries` (a step that
	 * kills the process cannot keep a server down). `Infinity`: a crash never fails the step,
	 * for work that is safe to run again, whatever the process went through.
	 */
	maxCrashes?: number;
}

/** Which step failures `tryStep` returns as data. */
export type TryStepCatchKind = StepFailureKind;

/** Options of `tryStep`. */
export interface TryStepConfig<T, SC> extends StepConfig<T, SC> {
	/** Failure kinds returned as data (default: all three); others are thrown. */
	catch?: readonly TryStepCatchKind[];
}

/** A step failure returned as data. */
export interface TryStepFailure {
	kind: StepFailureKind;
	stepName: string;
	attempts: number;
	error: WorkflowErrorInfo;
}

/** The result of `tryStep`. */
export type TryStepResult<T> = { ok: true; value: T } | { ok: false; failure: TryStepFailure };

/** Which failures a `try` block returns as data. */
export type TryBlockCatchKind = "step" | "join" | "race" | "rollback";

/** A `try` block failure returned as data. */
export interface TryBlockFailure {
	/** What failed: a step, a join, a race, or a compensation while rolling back. */
	source: "step" | "join" | "race" | "rollback";
	/** The name of the failed step, join, race or rolled-back step. */
	name: string;
	error: WorkflowErrorInfo;
	/** Set when a step failed. */
	step?: TryStepFailure;
}

/** The result of a `try` block. */
export type TryBlockResult<T> = { ok: true; value: T } | { ok: false; failure: TryBlockFailure };

/** Options of a `try` block. */
export interface TryBlockConfig<T, C> {
	name: string;
	run: (ctx: C) => Promise<T>;
	/** Failures returned as data (default `["step", "join", "race"]`). */
	catch?: readonly TryBlockCatchKind[];
}

/** What a loop iteration returns to stop. */
export interface LoopBreak<T> {
	readonly break: true;
	readonly value: T;
}

/** What a loop iteration returns to go on with a new loop state. */
export interface LoopContinue<LS> {
	readonly continue: true;
	readonly state: LS;
}

/** Options of a loop. */
export interface LoopConfig<LS, T, C> {
	name: string;
	/** The loop's initial state, passed to (and returned by) each iteration. */
	state?: LS;
	/** One iteration: `Loop.break(value)` ends the loop, `Loop.continue(state)` goes on. */
	run: (ctx: C, state: LS) => Promise<LoopBreak<T> | LoopContinue<LS>>;
	/** Prune finished iterations from the journal every N iterations (default 20). */
	historyPruneInterval?: number;
	/** Finished iterations kept in the journal after pruning (default: the prune interval). */
	historySize?: number;
}

/** A branch of `join`. */
export interface BranchConfig<T, C> {
	run: (ctx: C) => Promise<T>;
}

/** Options of `queue.next` in a workflow. */
export interface WorkflowNextOptions<K> {
	/** Only these queues (default: all). */
	names?: readonly K[];
	/** Give up after this many ms (durable: survives sleep and restarts); `next` then returns undefined. */
	timeout?: number;
	/** Keep the message stored until `complete()`; the journal remembers whether it was completed. */
	completable?: boolean;
}

/** Receiving queue messages as durable workflow entries. */
export interface WorkflowQueue<Q> {
	/** Waits for the next message (journaled: replay returns the same message). */
	next<K extends QueueName<Q> = QueueName<Q>>(
		name: string,
		options: WorkflowNextOptions<K> & { completable: true; timeout: number },
	): Promise<CompletableMessageOf<Q, K> | undefined>;
	next<K extends QueueName<Q> = QueueName<Q>>(
		name: string,
		options: WorkflowNextOptions<K> & { completable: true },
	): Promise<CompletableMessageOf<Q, K>>;
	next<K extends QueueName<Q> = QueueName<Q>>(
		name: string,
		options: WorkflowNextOptions<K> & { timeout: number },
	): Promise<MessageOf<Q, K> | undefined>;
	next<K extends QueueName<Q> = QueueName<Q>>(
		name: string,
		options?: WorkflowNextOptions<K>,
	): Promise<MessageOf<Q, K>>;
	/** Waits for at least one message and returns up to `count` (an empty list on timeout). */
	nextBatch<K extends QueueName<Q> = QueueName<Q>>(
		name: string,
		options: WorkflowNextOptions<K> & { count?: number; completable: true },
	): Promise<CompletableMessageOf<Q, K>[]>;
	nextBatch<K extends QueueName<Q> = QueueName<Q>>(
		name: string,
		options?: WorkflowNextOptions<K> & { count?: number },
	): Promise<MessageOf<Q, K>[]>;
}

/**
 * The context of a workflow: replayable, durable primitives. Workflow code
 * outside steps runs again on every wake, so it must be deterministic; actor
 * data (`state`, `vars`, `kv`, `broadcast`, `client`, ...) is only usable
 * inside `step` functions, and throws a clear error elsewhere.
 */
export interface WorkflowContext<S, CP, CS, V, E extends EventDecls, Q, D = undefined> {
	/** The workflow's id (the actor's id: one workflow per actor). */
	readonly workflowId: string;
	readonly actorId: string;
	readonly name: string;
	readonly key: ActorKeyList;
	readonly log: Logger;
	/** Aborted when the actor starts to sleep or stop. */
	readonly abortSignal: AbortSignal;
	/** True once the actor started to sleep or stop (the workflow resumes on the next wake). */
	isEvicted(): boolean;

	/** The actor's state (inside a step only). */
	state: S;
	/** The actor's vars (inside a step only). */
	vars: V;
	/** The actor's database (inside a step only). */
	readonly db: D;
	/** The actor's KV store (inside a step only). */
	readonly kv: ActorKv;
	/** The actor's connections (inside a step only). */
	readonly conns: ReadonlyMap<string, Conn<CP, CS, E>>;
	/** The actor's timers (inside a step only). */
	readonly schedule: ActorSchedule;
	/** The actor's recurring jobs (inside a step only). */
	readonly cron: ActorCron;
	/** Sends an event (inside a step only). */
	broadcast<K extends EventName<E>>(name: K, ...args: EventArgsOf<E, K>): void;
	/** A client for other actors (inside a step only). */
	client<R>(): Client<R>;

	/** Durable queue waits. */
	readonly queue: WorkflowQueue<Q>;

	/** Runs `run` once; its result is journaled and replayed afterwards. Retries on failure. */
	step<T>(
		name: string,
		run: (c: WorkflowStepContext<S, CP, CS, V, E, Q, D>) => T | Promise<T>,
	): Promise<Awaited<T>>;
	step<T>(config: StepConfig<T, WorkflowStepContext<S, CP, CS, V, E, Q, D>>): Promise<Awaited<T>>;
	/** Like `step`, but a final failure is returned as data. */
	tryStep<T>(
		name: string,
		run: (c: WorkflowStepContext<S, CP, CS, V, E, Q, D>) => T | Promise<T>,
	): Promise<TryStepResult<Awaited<T>>>;
	tryStep<T>(
		config: TryStepConfig<T, WorkflowStepContext<S, CP, CS, V, E, Q, D>>,
	): Promise<TryStepResult<Awaited<T>>>;
	/** Runs a block; failures of its steps, joins and races come back as data (after rolling back). */
	try<T>(
		name: string,
		run: (ctx: WorkflowContext<S, CP, CS, V, E, Q, D>) => Promise<T>,
	): Promise<TryBlockResult<T>>;
	try<T>(
		config: TryBlockConfig<T, WorkflowContext<S, CP, CS, V, E, Q, D>>,
	): Promise<TryBlockResult<T>>;
	/** A durable loop: iterations are journaled and old ones pruned, so it may run forever. */
	loop<T = void>(
		name: string,
		run: (
			ctx: WorkflowContext<S, CP, CS, V, E, Q, D>,
			// biome-ignore lint/suspicious/noConfusingVoidType: an async iteration that returns nothing is `Promise<void>`
		) => Promise<LoopBreak<T> | LoopContinue<undefined> | undefined | void>,
	): Promise<T>;
	loop<LS, T = void>(config: LoopConfig<LS, T, WorkflowContext<S, CP, CS, V, E, Q, D>>): Promise<T>;
	/** A durable timer: the actor may sleep meanwhile and is woken when it is due. */
	sleep(name: string, durationMs: number): Promise<void>;
	/** A durable timer until a timestamp (ms). */
	sleepUntil(name: string, timestampMs: number): Promise<void>;
	/** Marks where a failure rolls back to: later steps' `rollback` functions compensate. */
	rollbackCheckpoint(name: string): Promise<void>;
	/** Runs branches concurrently and waits for all of them. */
	join<B extends Record<string, BranchConfig<unknown, WorkflowContext<S, CP, CS, V, E, Q, D>>>>(
		name: string,
		branches: B,
	): Promise<{ [K in keyof B]: Awaited<ReturnType<B[K]["run"]>> }>;
	/** Runs branches concurrently; the first to finish wins and the others are cancelled. */
	race<T>(
		name: string,
		branches: ReadonlyArray<{
			name: string;
			run: (ctx: WorkflowContext<S, CP, CS, V, E, Q, D>) => Promise<T>;
		}>,
	): Promise<{ winner: string; value: T }>;
	/** Stands in for an entry the code no longer has, so old journals still replay. */
	removed(name: string, originalKind: EntryKind): Promise<void>;
	/**
	 * Versioning for changed code: `latest` for new runs, the recorded version
	 * on replay, and 1 for runs journaled before this call existed.
	 */
	getVersion(name: string, latest: number): Promise<number>;
}

/** A step failure (reported after each failed attempt). */
export interface WorkflowStepErrorEvent {
	workflowId: string;
	stepName: string;
	attempt: number;
	maxRetries: number;
	remainingRetries: number;
	willRetry: boolean;
	retryDelay?: number;
	retryAt?: number;
	error: WorkflowErrorInfo;
}

/** A compensation failure. */
export interface WorkflowRollbackErrorEvent {
	workflowId: string;
	stepName: string;
	error: WorkflowErrorInfo;
}

/** The workflow failed (or stopped on a code/journal mismatch). */
export interface WorkflowRunErrorEvent {
	workflowId: string;
	error: WorkflowErrorInfo;
}

/** What `onError` receives: exactly one of the three. */
export type WorkflowErrorEvent =
	| { step: WorkflowStepErrorEvent }
	| { rollback: WorkflowRollbackErrorEvent }
	| { workflow: WorkflowRunErrorEvent };

/** Options of `workflow(fn, options)`. */
export interface WorkflowOptions<S, CP, CS, V, E extends EventDecls, Q, D = undefined> {
	/**
	 * Observes failures (each failed step attempt, compensation failures, the
	 * workflow failing). Not replayed; state changes made here are saved.
	 */
	onError?: (
		c: ActorContext<S, CP, CS, V, E, Q, D>,
		event: WorkflowErrorEvent,
	) => void | Promise<void>;
}

/** The workflow context of an actor definition (for helper functions). */
export type WorkflowContextOf<Def> =
	Def extends ActorDefinition<
		infer S,
		infer CP,
		infer CS,
		infer V,
		// biome-ignore lint/suspicious/noExplicitAny: a position this conditional type does not read; `unknown` would stop definitions with specific types from matching.
		any,
		infer E,
		infer Q,
		// biome-ignore lint/suspicious/noExplicitAny: a position this conditional type does not read; `unknown` would stop definitions with specific types from matching.
		any,
		infer D,
		// biome-ignore lint/suspicious/noExplicitAny: a position this conditional type does not read; `unknown` would stop definitions with specific types from matching.
		any,
		// biome-ignore lint/suspicious/noExplicitAny: a position this conditional type does not read; `unknown` would stop definitions with specific types from matching.
		any,
		// biome-ignore lint/suspicious/noExplicitAny: a position this conditional type does not read; `unknown` would stop definitions with specific types from matching.
		any
	>
		? WorkflowContext<S, CP, CS, V, E, Q, D>
		: never;

/** The step context of an actor definition (for helper functions steps call). */
export type WorkflowStepContextOf<Def> =
	Def extends ActorDefinition<
		infer S,
		infer CP,
		infer CS,
		infer V,
		// biome-ignore lint/suspicious/noExplicitAny: a position this conditional type does not read; `unknown` would stop definitions with specific types from matching.
		any,
		infer E,
		infer Q,
		// biome-ignore lint/suspicious/noExplicitAny: a position this conditional type does not read; `unknown` would stop definitions with specific types from matching.
		any,
		infer D,
		// biome-ignore lint/suspicious/noExplicitAny: a position this conditional type does not read; `unknown` would stop definitions with specific types from matching.
		any,
		// biome-ignore lint/suspicious/noExplicitAny: a position this conditional type does not read; `unknown` would stop definitions with specific types from matching.
		any,
		// biome-ignore lint/suspicious/noExplicitAny: a position this conditional type does not read; `unknown` would stop definitions with specific types from matching.
		any
	>
		? WorkflowStepContext<S, CP, CS, V, E, Q, D>
		: never;

/** Where a workflow is. */
/**
 * `halted`: the last run stopped at a code error (its code does not match its journal, or
 * misuses the API); it runs again from its journal at the next wake, with the code then deployed.
 */
export type WorkflowStatus = "pending" | "running" | "halted" | "completed" | "failed";

/** One journal entry, as the inspector shows it. */
export interface WorkflowHistoryEntry {
	/** Readable location, e.g. `checkout-loop[3]/charge-card`. */
	location: string;
	/** Position path in the journal. */
	path: number[];
	kind: EntryKind;
	name: string;
	/** `running`: an attempt made durable before it ran (after a crash, or the first of a life). */
	status: "pending" | "running" | "retrying" | "completed" | "failed";
	attempts?: number;
	error?: WorkflowErrorInfo;
	failure?: StepFailureKind;
	createdAt: number;
	completedAt?: number;
	retryAt?: number;
	deadline?: number;
	iteration?: number;
	rolledBackAt?: number;
	/** Its compensation started and has not finished (or the process died in it). */
	rollingBack?: boolean;
	/** Crashes of the process counted during its compensation. */
	rollbackCrashes?: number;
	/** Its compensation failed: a rollback that reaches it again stops there. */
	rollbackError?: WorkflowErrorInfo;
	output?: unknown;
	/**
	 * A top-level entry's: why the inspector's replay from it is refused, when it is (a
	 * compensation ran anywhere, or it or a later entry consumed queue messages).
	 */
	replayRefused?: { reason: "rolled_back" | "messages_consumed"; message: string };
}

/** A workflow's journal and status (`GET .../workflow-history`, `t.workflowHistory()`). */
export interface WorkflowHistory {
	status: WorkflowStatus;
	output?: unknown;
	error?: WorkflowErrorInfo;
	startedAt?: number;
	finishedAt?: number;
	entries: WorkflowHistoryEntry[];
	/** Encoded size of the journal in bytes (entries and status record). */
	journalBytes: number;
}
