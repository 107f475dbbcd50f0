import type { FireInfo } from "../actor/schedule.js";
import { isClientGone } from "../common/client-gone.js";
import type { Clock } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import type { ActorMetrics } from "../observability/metrics.js";
import type { TracedActor } from "../observability/tracing.js";
import { ActorError, errors, toPublicError } from "../protocol/errors.js";
import type { Limits } from "../protocol/limits.js";
import type { ActorParts, AssemblyHost } from "./actor-assembly.js";
import type { ActorCore } from "./actor-core.js";
import { callerWithParams } from "./caller.js";
import type { ConnectionImpl } from "./connections/connection.js";

/**
 * The {@link ActorCore} of one awake actor, over its parts. A class, not an
 * object literal of arrow functions: an awake idle actor is mostly such
 * wiring, and a literal with getters was a dictionary-mode object of about
 * 1.6 KB plus a closure per member (the heap census in bench/heap-census.ts),
 * where an instance is two fields and everything else is read through them.
 * It is also the actor as its trace spans name it ({@link TracedActor}).
 */
export class AssembledCore implements ActorCore, TracedActor {
	readonly #host: AssemblyHost;
	readonly #parts: ActorParts;
	/** Connections taken by {@link reserveConnection} whose opening has not ended. */
	#opening = 0;

	constructor(host: AssemblyHost, parts: ActorParts) {
		this.#host = host;
		this.#parts = parts;
	}

	get actorId(): string {
		return this.#host.actorId;
	}

	/** The actor's id, as {@link TracedActor} names it. */
	get id(): string {
		return this.#host.actorId;
	}

	/** The actor's name (its type), as {@link TracedActor} names it. */
	get name(): string {
		return this.#host.name;
	}

	/** The actor as its trace spans name it. */
	get traced(): TracedActor {
		return this;
	}

	get clock(): Clock {
		return this.#host.deps.clock;
	}

	get options(): AssemblyHost["deps"]["options"] {
		return this.#host.deps.options;
	}

	get limits(): Limits {
		return this.#host.deps.limits;
	}

	get exposeInternalErrors(): boolean {
		return this.#host.deps.exposeInternalErrors;
	}

	get metrics(): ActorMetrics {
		return this.#host.deps.metrics;
	}

	get log(): Logger {
		return this.#host.log;
	}

	get abortSignal(): AbortSignal {
		return this.#host.abortSignal;
	}

	isAwake(): boolean {
		return this.#host.status === "awake";
	}

	get connectionCount(): number {
		return this.#parts.hub.size + this.#parts.calls.openRawSockets + this.#opening;
	}

	reserveConnection(): () => void {
		const max = this.limits.maxConnectionsPerActor;
		// Stored connections awaiting their clients after a restart count too: their resumes
		// take no place, and took the actor past its limit once new ones had filled it.
		if (this.connectionCount + this.#parts.hub.orphans.size >= max)
			throw errors.tooManyConnections("actor", max);
		this.#opening++;
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.#opening--;
		};
	}

	track<T>(promise: Promise<T>): Promise<T> {
		return this.#parts.activity.track(promise);
	}

	afterTurn(): void {
		this.#parts.afterTurn();
	}

	keepAwake<T>(promise: Promise<T>): Promise<T> {
		return this.#parts.activity.keepAwake(promise);
	}

	holdAwake<T>(promise: Promise<T>): Promise<T> {
		return this.#parts.activity.holdAwake(promise);
	}

	maybeIdle(): void {
		this.#parts.activity.maybeIdle();
	}

	/** The generation a reply sent now must wait for; its writes are sent on their way. */
	outputGeneration(): number {
		const writer = this.#parts.writer;
		const generation = writer.requiredGeneration();
		writer.flushFor(generation);
		return generation;
	}

	get durableGeneration(): number {
		return this.#parts.writer.durableGeneration;
	}

	whenDurable(generation: number): Promise<void> {
		return this.#parts.writer.whenDurable(generation);
	}

	persist(): Promise<void> {
		return this.#parts.writer.flush();
	}

	invoke(
		name: string,
		args: unknown[],
		conn: ConnectionImpl,
		fire?: FireInfo,
		onSettled?: (error: unknown) => void,
		requestId?: string,
	): Promise<unknown> {
		return this.#parts.turns.invoke(name, args, conn, fire, onSettled, requestId);
	}

	invokeNow(
		name: string,
		args: unknown[],
		conn: ConnectionImpl,
		requestId: string | undefined,
	): unknown | Promise<unknown> {
		return this.#parts.turns.invokeNow(name, args, conn, requestId);
	}

	hasAction(name: string): boolean {
		return this.#host.deps.actions.has(name);
	}

	toRaw<T>(value: T): T {
		return this.#parts.tracker.toRaw(value);
	}

	/** What a caller may see of an error; an internal one is logged (with `requestId`) and sanitized. */
	publicError(error: unknown, where: string, requestId?: string): ActorError {
		if (error instanceof ActorError) {
			// Made internal elsewhere (a failed commit: the actor logged it without any call's
			// id), so the id a client reports finds a line (an SRE walkthrough, 2026-11-29).
			if (requestId !== undefined && error.group === "core" && error.code === "internal_error")
				this.#host.log.warn(`internal error in ${where}`, { requestId, error: error.message });
			return error;
		}
		const fields = requestId === undefined ? { error } : { requestId, error };
		if (isClientGone(error)) this.#host.log.debug(`the client went away in ${where}`, fields);
		else this.#host.log.error(`error in ${where}`, fields);
		return toPublicError(error, this.exposeInternalErrors);
	}

	ephemeralConn(params: unknown): Promise<ConnectionImpl> {
		return this.#parts.calls.prepareConn(callerWithParams(params), undefined);
	}
}
