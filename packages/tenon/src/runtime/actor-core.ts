import type { ResolvedActorOptions } from "../actor/options.js";
import type { FireInfo } from "../actor/schedule.js";
import type { Clock } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import type { ActorMetrics } from "../observability/metrics.js";
import type { TracedActor } from "../observability/tracing.js";
import type { ActorError } from "../protocol/errors.js";
import type { Limits } from "../protocol/limits.js";
import type { ConnectionImpl } from "./connections/connection.js";

/**
 * What an actor's collaborators (connections, queues, schedules, raw
 * handlers) need from the actor instance. Keeps them testable and keeps the
 * instance from knowing their details.
 */
export interface ActorCore {
	readonly actorId: string;
	/** The actor as its trace spans name it. */
	readonly traced: TracedActor;
	readonly log: Logger;
	readonly clock: Clock;
	readonly options: ResolvedActorOptions;
	readonly limits: Limits;
	readonly exposeInternalErrors: boolean;
	readonly abortSignal: AbortSignal;
	/** True while the actor accepts new work. */
	isAwake(): boolean;
	/** Open connections: realtime ones and raw WebSockets, and those still opening. */
	readonly connectionCount: number;
	/**
	 * Takes one of `maxConnectionsPerActor` for a connection whose hooks still run (or
	 * throws `limit/too_many_connections`): counted from the check, so connections that
	 * arrive together cannot all pass it. The release is called once the connection is
	 * counted as open, or refused.
	 */
	reserveConnection(): () => void;
	/** Counts `promise` as work in progress until it settles. */
	track<T>(promise: Promise<T>): Promise<T>;
	/** End-of-turn work: `onStateChange`, commit scheduling, idleness. */
	afterTurn(): void;
	/** Keeps the actor awake until `promise` settles. */
	keepAwake<T>(promise: Promise<T>): Promise<T>;
	/** Keeps the actor from sleeping until `promise` settles; a stop does not wait for it. */
	holdAwake<T>(promise: Promise<T>): Promise<T>;
	/** Re-checks whether the actor is idle (after a waiter or socket went away). */
	maybeIdle(): void;
	/** The generation an output produced now depends on; also gets it committed. */
	outputGeneration(): number;
	/** The newest durable generation. */
	readonly durableGeneration: number;
	/** Resolves when `generation` is durable. */
	whenDurable(generation: number): Promise<void>;
	/** Commits every pending write now and resolves once they are durable (whatever the durability mode). */
	persist(): Promise<void>;
	/**
	 * Runs an action (validation, timeout, response hook); the caller applies
	 * the output gate. `onSettled` runs when the action's function settles,
	 * before its turn is committed, so writes it makes join that commit.
	 * `requestId` goes on the lines the action's `c.log` writes.
	 */
	invoke(
		name: string,
		args: unknown[],
		conn: ConnectionImpl,
		fire?: FireInfo,
		onSettled?: (error: unknown) => void,
		requestId?: string,
	): Promise<unknown>;
	/**
	 * {@link invoke} for a client's call: an action that settles as it runs
	 * is answered at once (its output returned, its error thrown), else a promise.
	 */
	invokeNow(
		name: string,
		args: unknown[],
		conn: ConnectionImpl,
		requestId: string | undefined,
	): unknown | Promise<unknown>;
	/** True when the actor has an action of that name. */
	hasAction(name: string): boolean;
	/** Replaces tracking proxies by plain values (before encoding outputs). */
	toRaw<T>(value: T): T;
	/** Logs an internal error once and returns what a caller may see. */
	publicError(error: unknown, where: string, requestId?: string): ActorError;
	/** A short-lived connection (runs `onBeforeConnect`/`createConnState`) for timers and raw requests. */
	ephemeralConn(params: unknown): Promise<ConnectionImpl>;
	/** Where the actor type's metrics go (queues, timers). */
	readonly metrics: ActorMetrics;
}
