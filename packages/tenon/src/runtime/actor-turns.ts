import type { AnyActorDefinition } from "../actor/definition.js";
import type { FireInfo } from "../actor/schedule.js";
import { describeIssues } from "../actor/schema.js";
import type { Clock } from "../common/clock.js";
import { type CallOutcome, callAsync, callNow, withTimeout } from "../common/timeouts.js";
import {
	type ActionTransport,
	type ActorMetrics,
	monotonicSeconds,
} from "../observability/metrics.js";
import { type TracedActor, traceTurn, tracingOn } from "../observability/tracing.js";
import { type ActorError, errors } from "../protocol/errors.js";
import type { ActionImpl } from "./action-table.js";
import type { ConnectionImpl } from "./connections/connection.js";
import type { ActionContextImpl, ActorContextImpl } from "./context-impl.js";
import type { TurnHistory } from "./turn-history.js";

/** What running turns needs from its actor: narrow capabilities, not the actor. */
export interface TurnDeps {
	readonly actions: ReadonlyMap<string, ActionImpl>;
	readonly argsSchemas: AnyActorDefinition["config"]["actionInputSchemas"];
	readonly onBeforeActionResponse: AnyActorDefinition["config"]["onBeforeActionResponse"];
	readonly clock: Clock;
	readonly actionTimeout: number;
	/** Records turns for time travel (the `turnHistory` option); undefined when off. */
	readonly history: TurnHistory | undefined;
	/** The actor's context (what its hooks get). */
	context(): ActorContextImpl;
	/** Throws `actor/stopping` unless the actor is awake. */
	assertAwake(): void;
	/** A context for one action call on `conn` (its `c.log` lines carry `requestId`). */
	actionContext(
		conn: ConnectionImpl,
		fire: FireInfo | undefined,
		requestId: string | undefined,
	): ActionContextImpl;
	/** Counts `promise` as a turn until it settles. */
	track<T>(promise: Promise<T>): Promise<T>;
	/** A turn that settled as it ran: what {@link track} does when its promise settles, now. */
	ranNow(): void;
	/** End-of-turn work (onStateChange, collecting writes for the commit). */
	afterTurn(): void;
	/** The plain value behind a state proxy. */
	toRaw<T>(value: T): T;
	/** Resolves once every write made so far is durable. */
	outputGate(): Promise<void>;
	/**
	 * True when a reply may leave now without waiting: every write made so
	 * far is durable (or needs not be, `relaxed`), and no span times the wait
	 * (metrics record it as none). Gets pending writes committed when false.
	 */
	gateOpen(): boolean;
	/** What a caller may see of an error (internal errors are logged, with `requestId`, and sanitized). */
	publicError(error: unknown, where: string, requestId?: string): ActorError;
	/** Where the actor's actions are counted and timed. */
	readonly metrics: ActorMetrics;
	/** The actor as its trace spans name it. */
	readonly traced: TracedActor;
}

/**
 * Runs an actor's turns: an action with its validation, timeout and response
 * hook; and the output gate, which holds every answer until the writes made
 * before it are durable.
 */
export class ActorTurns {
	readonly #deps: TurnDeps;

	constructor(deps: TurnDeps) {
		this.#deps = deps;
	}

	/** Runs an action and its response hook; the caller applies the output gate. */
	invoke(
		name: string,
		args: unknown[],
		conn: ConnectionImpl,
		fire?: FireInfo,
		onSettled?: (error: unknown) => void,
		requestId?: string,
	): Promise<unknown> {
		const transport: ActionTransport = fire
			? "schedule"
			: conn.transport === undefined
				? "http"
				: "websocket";
		// On a connection, the action's server span is its turn (traceWsAction).
		if (transport === "websocket")
			return settledAsPromise(() =>
				this.#invoke(name, args, conn, fire, onSettled, requestId, transport),
			);
		return traceTurn(this.#deps.traced, name, () =>
			settledAsPromise(() => this.#invoke(name, args, conn, fire, onSettled, requestId, transport)),
		);
	}

	/**
	 * {@link invoke} for a client's call, without a promise when the action
	 * settles as it runs: its output is returned (or its error thrown) at
	 * once, so the reply goes out in the same pass (no microtask hops through
	 * the turn). A promise otherwise, and whenever the turn is traced.
	 */
	invokeNow(
		name: string,
		args: unknown[],
		conn: ConnectionImpl,
		requestId: string | undefined,
	): unknown | Promise<unknown> {
		if (conn.transport === undefined) {
			if (tracingOn()) return this.invoke(name, args, conn, undefined, undefined, requestId);
			return this.#invoke(name, args, conn, undefined, undefined, requestId, "http");
		}
		return this.#invoke(name, args, conn, undefined, undefined, requestId, "websocket");
	}

	/**
	 * An action as a plain call when nothing has to wait (no argument schema,
	 * response hook, turn history or `onSettled`, and the action returned a
	 * value or threw), else {@link #invokeInFull} / {@link #finishLater}.
	 */
	#invoke(
		name: string,
		args: unknown[],
		conn: ConnectionImpl,
		fire: FireInfo | undefined,
		onSettled: ((error: unknown) => void) | undefined,
		requestId: string | undefined,
		transport: ActionTransport,
	): unknown | Promise<unknown> {
		const deps = this.#deps;
		// Timed here: no promise or closure per call for it.
		const started = deps.metrics.records ? monotonicSeconds() : -1;
		let raw: unknown;
		try {
			deps.assertAwake();
			const impl = deps.actions.get(name);
			if (impl === undefined) throw errors.actionNotFound(name);
			if (
				onSettled !== undefined ||
				deps.argsSchemas?.[name] !== undefined ||
				deps.history !== undefined ||
				deps.onBeforeActionResponse !== undefined
			)
				return this.#invokeInFull(
					impl,
					name,
					args,
					conn,
					fire,
					onSettled,
					requestId,
					transport,
					started,
				);
			const c = deps.actionContext(conn, fire, requestId);
			const call = callNow(() => impl(c, ...args));
			if (!call.now) return this.#finishLater(name, c, call.promise, transport, started);
			// As track() counts a turn that settles later, at once.
			deps.ranNow();
			if (call.failed) {
				releaseIfCodeFailed(c, call);
				throw call.error;
			}
			deps.afterTurn();
			raw = deps.toRaw(call.value);
		} catch (error) {
			this.#ended(name, transport, started, error);
			throw error;
		}
		this.#ended(name, transport, started, undefined);
		return raw;
	}

	/** Records the end of an action timed from `started` (-1: metrics are off). */
	#ended(name: string, transport: ActionTransport, started: number, error: unknown): void {
		if (started >= 0) this.#deps.metrics.actionEnded(name, transport, started, error);
	}

	/** The rest of a plain action that returned a promise: its timeout and end of turn. */
	async #finishLater(
		name: string,
		context: ActionContextImpl,
		promise: Promise<unknown>,
		transport: ActionTransport,
		started: number,
	): Promise<unknown> {
		const deps = this.#deps;
		let raw: unknown;
		try {
			const timeout = deps.actionTimeout;
			const output = await withTimeout(deps.track(promise), deps.clock, timeout, () =>
				errors.actionTimedOut(name, timeout),
			);
			deps.afterTurn();
			raw = deps.toRaw(output);
		} catch (error) {
			releaseIfCodeFailed(context, { now: false, promise });
			this.#ended(name, transport, started, error);
			throw error;
		}
		this.#ended(name, transport, started, undefined);
		return raw;
	}

	/** An action with what may wait: its argument schema, `onSettled`, history and response hook. */
	async #invokeInFull(
		impl: ActionImpl,
		name: string,
		args: unknown[],
		conn: ConnectionImpl,
		fire: FireInfo | undefined,
		onSettled: ((error: unknown) => void) | undefined,
		requestId: string | undefined,
		transport: ActionTransport,
		started: number,
	): Promise<unknown> {
		const deps = this.#deps;
		let raw: unknown;
		let context: ActionContextImpl | undefined;
		let call: CallOutcome<unknown> | undefined;
		try {
			const schema = deps.argsSchemas?.[name];
			let validated = args;
			if (schema !== undefined) {
				const result = await schema["~standard"].validate(args);
				if (result.issues) throw errors.invalidArgs(name, describeIssues(result.issues));
				validated = result.value as unknown[];
			}
			context = deps.actionContext(conn, fire, requestId);
			const c = context;
			let mark = deps.history?.begin();
			call = callNow(() => impl(c, ...validated));
			if (mark !== undefined && call.now && !call.failed) {
				// Settled as it ran: its changes are all made, and a change another turn makes
				// while this one waits below is not this action's.
				deps.history?.end(mark, name, conn.id, fire);
				mark = undefined;
			}
			let called = call.now
				? call.failed
					? Promise.reject(call.error)
					: Promise.resolve(call.value)
				: call.promise;
			if (onSettled) {
				// Chained before track(): runs before the turn's commit is started.
				called = called.then(
					(value) => {
						onSettled(undefined);
						return value;
					},
					(error: unknown) => {
						onSettled(error);
						throw error;
					},
				);
			}
			const running = deps.track(called);
			const timeout = deps.actionTimeout;
			// An action that returned (or threw) at once cannot time out: no timer (and no
			// promise racing it) for the most common kind of action.
			let output = call.now
				? await running
				: await withTimeout(running, deps.clock, timeout, () =>
						errors.actionTimedOut(name, timeout),
					);
			if (mark !== undefined) deps.history?.end(mark, name, conn.id, fire);
			const responseHook = deps.onBeforeActionResponse;
			if (responseHook)
				output = await deps.track(
					callAsync(() => responseHook(deps.context(), name, validated, output)),
				);
			deps.afterTurn();
			raw = deps.toRaw(output);
		} catch (error) {
			if (context !== undefined && call !== undefined) releaseIfCodeFailed(context, call);
			this.#ended(name, transport, started, error);
			throw error;
		}
		this.#ended(name, transport, started, undefined);
		return raw;
	}

	/**
	 * Runs `work`, then releases its result (or error) through the output gate.
	 * An internal error is logged with `requestId`.
	 */
	async gated<T>(where: string, work: () => Promise<T>, requestId?: string): Promise<T> {
		let result: T;
		try {
			result = await work();
		} catch (error) {
			// Even an error leaves only after the writes before it are durable.
			await this.#deps.outputGate().catch(() => {});
			throw this.#deps.publicError(error, where, requestId);
		}
		await this.#deps.outputGate().catch((error: unknown) => {
			throw this.#deps.publicError(error, where, requestId);
		});
		return result;
	}

	/**
	 * {@link gated} for work that may finish as it runs: its result is
	 * returned at once when it did and nothing it wrote has to become durable
	 * first (see {@link TurnDeps.gateOpen}); a promise otherwise.
	 */
	gatedNow<T>(where: string, work: () => T | Promise<T>, requestId?: string): T | Promise<T> {
		let result: T | Promise<T>;
		try {
			result = work();
		} catch (error) {
			return this.gated(where, () => Promise.reject(error), requestId);
		}
		if (result instanceof Promise) return this.gated(where, () => result, requestId);
		if (this.#deps.gateOpen()) return result;
		const done = result;
		return this.#deps.outputGate().then(
			() => done,
			(error: unknown) => {
				throw this.#deps.publicError(error, where, requestId);
			},
		);
	}
}

/** What `run` returned or threw, as a promise. */
function settledAsPromise<T>(run: () => T | Promise<T>): Promise<T> {
	try {
		const result = run();
		return result instanceof Promise ? result : Promise.resolve(result);
	} catch (error) {
		return Promise.reject(error);
	}
}

/**
 * The call failed: if the action's own code failed (at once, or later: it ran
 * past its timeout), its queue leases are released then (see
 * ActionContextImpl.releaseQueueLeases). Only on the failure path: no promise
 * per call.
 */
function releaseIfCodeFailed(context: ActionContextImpl, call: CallOutcome<unknown>): void {
	if (!call.now) void call.promise.then(undefined, () => context.releaseQueueLeases());
	else if (call.failed) context.releaseQueueLeases();
}
