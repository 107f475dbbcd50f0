import type { Conn } from "../actor/context.js";
import type { AnyActorDefinition, ResolvedActorOptions } from "../actor/definition.js";
import { describeIssues } from "../actor/schema.js";
import type { ActorKeyList } from "../actor/types.js";
import type { Clock, TimerHandle } from "../common/clock.js";
import { randomId } from "../common/ids.js";
import type { Logger } from "../common/logger.js";
import { cborDecodeCompat, type Encoding, encodedLength } from "../protocol/encoding.js";
import {
	ActorError,
	errors,
	httpStatusFor,
	toErrorPayload,
	toPublicError,
} from "../protocol/errors.js";
import type { Limits } from "../protocol/limits.js";
import { type ActionId, encodeToClient, type ToServer } from "../protocol/messages.js";
import type { CommitPipeline } from "../storage/commit-pipeline.js";
import type { ActorRecord, StorageHandles } from "../storage/interfaces.js";
import type { ActionImpl } from "./action-table.js";
import { ActorWriter } from "./actor-writer.js";
import { ConnectionImpl, type ConnOwner, type ConnTransport } from "./connection.js";
import { ActionContextImpl, ActorContextImpl, type ContextHost } from "./context-impl.js";
import { type LoadedState, loadState } from "./state-loader.js";
import { StateWriteSource } from "./state-source.js";
import { StateTracker } from "./state-tracker.js";
import { callAsync, withTimeout } from "./timeouts.js";

/** Lifecycle of an instance: `starting -> awake -> stopping -> stopped`. */
export type ActorStatus = "starting" | "awake" | "stopping" | "stopped";

/** Why an instance stops. */
export type StopKind = "sleep" | "destroy" | "shutdown";

/** Everything an instance needs from its host. */
export interface ActorInstanceDeps {
	record: ActorRecord;
	definition: AnyActorDefinition;
	actions: ReadonlyMap<string, ActionImpl>;
	options: ResolvedActorOptions;
	storage: StorageHandles;
	pipeline: CommitPipeline;
	clock: Clock;
	logger: Logger;
	limits: Limits;
	exposeInternalErrors: boolean;
	/** Called once the instance has fully stopped (or was reset). */
	onStopped(instance: ActorInstance): void;
}

/** WebSocket close codes the runtime uses. */
export const CLOSE = {
	normal: 1000,
	goingAway: 1001,
	policy: 1008,
	tooBig: 1009,
	internal: 1011,
	restart: 1012,
} as const;

/** WebSocket close reasons are limited to 123 bytes. */
function closeReason(text: string): string {
	return text.length > 120 ? text.slice(0, 120) : text;
}

/** Close code for an error that ends a connection: policy for caller mistakes, internal otherwise. */
export function closeCodeFor(payload: { group: string; code: string }): number {
	const status = httpStatusFor(payload.group, payload.code);
	return status >= 400 && status < 500 ? CLOSE.policy : CLOSE.internal;
}

/**
 * One awake actor: its state, connections and lifecycle. Created by the
 * {@link ActorHost}; everything that reaches user code goes through here.
 */
export class ActorInstance implements ContextHost, ConnOwner {
	readonly actorId: string;
	readonly name: string;
	readonly key: ActorKeyList;
	readonly log: Logger;
	status: ActorStatus = "starting";

	readonly #deps: ActorInstanceDeps;
	readonly #tracker: StateTracker;
	readonly #writer: ActorWriter;
	readonly #context: ActorContextImpl;
	readonly #abort = new AbortController();
	readonly #conns = new Map<string, ConnectionImpl>();
	#vars: unknown = undefined;
	#activeTurns = 0;
	#keepAwakeCount = 0;
	#waitUntil = new Set<Promise<unknown>>();
	#inStateChangeHook = false;
	/** The tracker's change count when onStateChange last ran. */
	#stateChangeSeen = 0;
	#idleSince = 0;
	#sleepTimer: TimerHandle | undefined;
	#stopping: Promise<void> | undefined;
	/** Set while stopping: called whenever a unit of work settles. */
	#onQuiet: (() => void) | undefined;
	#stoppedResolve!: () => void;
	/** Resolves once the instance has stopped for any reason. */
	readonly stopped: Promise<void>;

	private constructor(deps: ActorInstanceDeps, fence: number, loaded: LoadedState) {
		this.#deps = deps;
		this.actorId = deps.record.actorId;
		this.name = deps.record.name;
		this.key = Object.freeze([...deps.record.key]);
		this.log = deps.logger.child({ actor: this.name, actorId: this.actorId });
		this.stopped = new Promise<void>((resolve) => {
			this.#stoppedResolve = resolve;
		});
		this.#tracker = new StateTracker(loaded.initialized ? loaded.state : undefined, () =>
			this.#writesOutsideTurn(),
		);
		this.#writer = new ActorWriter({
			actorId: this.actorId,
			fence,
			pipeline: deps.pipeline,
			sources: [new StateWriteSource(this.#tracker, loaded.initialized ? loaded.shape : undefined)],
			durability: deps.options.durability,
			saveIntervalMs: deps.options.stateSaveInterval,
			clock: deps.clock,
			onFailure: (error) => this.#reset(error),
			onDurable: (generation) => this.#releaseHeld(generation),
		});
		this.#context = new ActorContextImpl(this);
	}

	/**
	 * Loads an actor from storage and runs its wake sequence:
	 * (createState, onCreate for a new actor), createVars, onWake.
	 */
	static async start(deps: ActorInstanceDeps): Promise<ActorInstance> {
		const fence = await deps.storage.placement.acquire(deps.record.actorId);
		const loaded = await loadState(deps.storage.store, deps.record.actorId);
		const instance = new ActorInstance(deps, fence, loaded);
		try {
			await withTimeout(instance.#wake(loaded), deps.clock, deps.options.wakeTimeout, () =>
				errors.hookTimedOut("wake", deps.options.wakeTimeout),
			);
		} catch (error) {
			instance.#abandon(error);
			throw error;
		}
		instance.status = "awake";
		// Commit what waking wrote (a new actor's state) unless the request that
		// woke the actor commits it first, together with its own writes.
		setImmediate(() => {
			if (instance.status === "awake" && instance.#activeTurns === 0)
				instance.#writer.writesChanged();
		});
		instance.#maybeIdle();
		return instance;
	}

	async #wake(loaded: LoadedState): Promise<void> {
		const config = this.#deps.definition.config;
		let input: unknown;
		if (!loaded.initialized) {
			const inputBytes = await this.#deps.storage.directory.readInput(this.actorId);
			input = inputBytes === undefined ? undefined : cborDecodeCompat(inputBytes);
			const identity = { actorId: this.actorId, name: this.name, key: this.key, log: this.log };
			const initial = config.createState
				? await config.createState(identity, input)
				: structuredClone(config.state);
			this.#tracker.replace(initial);
			this.#tracker.markAllDirty();
			if (config.onCreate) await config.onCreate(this.#context, input);
		}
		if (config.createVars) {
			this.#vars = await config.createVars(this.#context);
		} else if (config.vars !== undefined) {
			try {
				this.#vars = structuredClone(config.vars);
			} catch (error) {
				throw new Error(
					`\`vars\` of actor '${this.name}' cannot be cloned; use createVars instead`,
					{
						cause: error,
					},
				);
			}
		}
		if (config.onWake) await config.onWake(this.#context);
		// Establishing state on wake is not a change for onStateChange.
		this.#stateChangeSeen = this.#tracker.changeCount;
	}

	// ---- ContextHost -------------------------------------------------------

	get abortSignal(): AbortSignal {
		return this.#abort.signal;
	}
	get connsView(): ReadonlyMap<string, Conn<any, any, any>> {
		return this.#conns;
	}
	getState(): unknown {
		return this.#tracker.value;
	}
	setState(next: unknown): void {
		this.#tracker.replace(next);
	}
	getVars(): unknown {
		return this.#vars;
	}
	setVars(next: unknown): void {
		this.#vars = next;
	}
	requestSleep(): void {
		// Deferred so the calling action finishes (and replies) first.
		setImmediate(() => void this.stop("sleep"));
	}
	requestDestroy(): void {
		setImmediate(() => void this.stop("destroy"));
	}
	saveState(): Promise<void> {
		return this.#writer.flush();
	}
	keepAwake<T>(promise: Promise<T>): Promise<T> {
		this.#keepAwakeCount++;
		return promise.finally(() => {
			this.#keepAwakeCount--;
			this.#maybeIdle();
			this.#onQuiet?.();
		});
	}
	waitUntil(promise: Promise<unknown>): void {
		const tracked = promise.then(
			() => undefined,
			(error: unknown) => this.log.warn("waitUntil promise rejected", { error }),
		);
		this.#waitUntil.add(tracked);
		void tracked.finally(() => {
			this.#waitUntil.delete(tracked);
			this.#onQuiet?.();
		});
	}

	broadcast(name: string, args: unknown[]): void {
		const targets: ConnectionImpl[] = [];
		for (const conn of this.#conns.values()) {
			if (!conn.closed && conn.subscriptions.has(name)) targets.push(conn);
		}
		if (targets.length === 0) return;
		const frames = new Map<Encoding, string | Uint8Array>();
		for (const conn of targets) {
			const encoding = (conn.transport as ConnTransport).encoding;
			if (!frames.has(encoding)) frames.set(encoding, this.#eventFrame(encoding, name, args));
		}
		const generation = this.#writer.requiredGeneration();
		this.#writer.flushFor(generation);
		const durable = this.#writer.durableGeneration;
		for (const conn of targets) {
			conn.enqueue(
				frames.get((conn.transport as ConnTransport).encoding) as string | Uint8Array,
				generation,
				durable,
			);
		}
	}

	// ---- ConnOwner ----------------------------------------------------------

	sendEvent(conn: ConnectionImpl, name: string, args: unknown[]): void {
		if (conn.closed || conn.transport === undefined || !conn.subscriptions.has(name)) return;
		const frame = this.#eventFrame(conn.transport.encoding, name, args);
		const generation = this.#writer.requiredGeneration();
		this.#writer.flushFor(generation);
		conn.enqueue(frame, generation, this.#writer.durableGeneration);
	}

	disconnect(conn: ConnectionImpl, reason: string | undefined): void {
		if (conn.closed || conn.transport === undefined) return;
		// Let frames already held (replies, events) go out first.
		const generation = this.#writer.requiredGeneration();
		this.#writer.flushFor(generation);
		void this.#writer.whenDurable(generation).then(
			() => {
				conn.release(this.#writer.durableGeneration);
				conn.transport?.close(CLOSE.normal, closeReason(reason ?? "actor.disconnect"));
			},
			() => {},
		);
	}

	#eventFrame(encoding: Encoding, name: string, args: unknown[]): string | Uint8Array {
		const frame = encodeToClient(encoding, { tag: "Event", name, args: this.#tracker.toRaw(args) });
		const limit = this.#deps.limits.maxOutgoingMessageBytes;
		if (encodedLength(frame) > limit) throw errors.outgoingTooLong(`Event '${name}'`, limit);
		return frame;
	}

	#releaseHeld(generation: number): void {
		for (const conn of this.#conns.values()) if (conn.hasHeldFrames) conn.release(generation);
	}

	// ---- Turns, idleness and sleep ---------------------------------------------

	/** Counts `promise` as work in progress until it settles. */
	#track<T>(promise: Promise<T>): Promise<T> {
		this.#activeTurns++;
		const settle = () => {
			this.#activeTurns--;
			this.#afterTurn();
			this.#onQuiet?.();
		};
		promise.then(settle, settle);
		return promise;
	}

	/** End-of-turn work: `onStateChange`, then get the writes committed. */
	#afterTurn(): void {
		if (this.status === "stopped") return;
		this.#runStateChangeHook();
		if (this.#writer.hasPendingWrites) this.#writer.writesChanged();
		this.#maybeIdle();
	}

	#writesOutsideTurn(): void {
		// Writes inside a turn are committed when it ends; others (a timer in
		// user code, a fire-and-forget promise) right after this microtask.
		queueMicrotask(() => {
			if (this.#activeTurns === 0 && this.status !== "stopped" && this.status !== "starting") {
				this.#afterTurn();
			}
		});
	}

	#runStateChangeHook(): void {
		const hook = this.#deps.definition.config.onStateChange;
		if (!hook || this.#inStateChangeHook || this.#tracker.changeCount === this.#stateChangeSeen)
			return;
		this.#inStateChangeHook = true;
		try {
			hook(this.#context, this.#tracker.value);
		} catch (error) {
			this.log.error("onStateChange threw", { error });
		} finally {
			// Writes made by the hook itself do not call it again.
			this.#stateChangeSeen = this.#tracker.changeCount;
			this.#inStateChangeHook = false;
		}
	}

	#isIdle(): boolean {
		return (
			this.status === "awake" &&
			this.#activeTurns === 0 &&
			this.#keepAwakeCount === 0 &&
			this.#conns.size === 0 &&
			!this.#writer.hasPendingWrites
		);
	}

	#maybeIdle(): void {
		if (this.#deps.options.noSleep || !this.#isIdle()) return;
		this.#idleSince = this.#deps.clock.now();
		if (this.#sleepTimer === undefined) this.#armSleepTimer(this.#deps.options.sleepTimeout);
	}

	#armSleepTimer(ms: number): void {
		this.#sleepTimer = this.#deps.clock.setTimeout(() => {
			this.#sleepTimer = undefined;
			if (!this.#isIdle()) return;
			const idleFor = this.#deps.clock.now() - this.#idleSince;
			const remaining = this.#deps.options.sleepTimeout - idleFor;
			if (remaining > 0) this.#armSleepTimer(remaining);
			else void this.stop("sleep");
		}, ms);
	}

	// ---- Actions ----------------------------------------------------------------

	#assertAwake(): void {
		if (this.status !== "awake") throw errors.actorStopping();
	}

	/** Runs an action and its response hook; the caller applies the output gate. */
	async #invoke(name: string, args: unknown[], conn: ConnectionImpl): Promise<unknown> {
		this.#assertAwake();
		const impl = this.#deps.actions.get(name);
		if (impl === undefined) throw errors.actionNotFound(name);
		const schema = this.#deps.definition.config.actionInputSchemas?.[name];
		if (schema !== undefined) {
			const result = await schema["~standard"].validate(args);
			if (result.issues) throw errors.invalidArgs(name, describeIssues(result.issues));
			args = result.value as unknown[];
		}
		const context = new ActionContextImpl(this, conn);
		const running = this.#track(callAsync(() => impl(context, ...args)));
		const timeout = this.#deps.options.actionTimeout;
		let output = await withTimeout(running, this.#deps.clock, timeout, () =>
			errors.actionTimedOut(name, timeout),
		);
		const responseHook = this.#deps.definition.config.onBeforeActionResponse;
		if (responseHook)
			output = await this.#track(callAsync(() => responseHook(this.#context, name, args, output)));
		this.#afterTurn();
		return output;
	}

	/** Resolves once every write made so far is durable (the output gate for one reply). */
	async #gate(): Promise<void> {
		const generation = this.#writer.requiredGeneration();
		this.#writer.flushFor(generation);
		await this.#writer.whenDurable(generation);
	}

	/**
	 * A stateless HTTP action: a short-lived connection (`onBeforeConnect` and
	 * `createConnState` run; it is not in `c.conns` and gets no events), the
	 * action, then the output gate.
	 */
	async httpAction(name: string, args: unknown[], params: unknown): Promise<unknown> {
		let output: unknown;
		try {
			const conn = await this.#track(this.#prepareConn(params, undefined));
			output = await this.#invoke(name, args, conn);
		} catch (error) {
			// Even an error leaves only after the writes before it are durable.
			await this.#gate().catch(() => {});
			throw this.#publicError(error, `action '${name}'`);
		}
		await this.#gate().catch((error: unknown) => {
			throw this.#publicError(error, `action '${name}'`);
		});
		return output;
	}

	/** Runs the connect hooks and returns the connection, not yet registered. */
	async #prepareConn(
		params: unknown,
		transport: ConnTransport | undefined,
	): Promise<ConnectionImpl> {
		this.#assertAwake();
		const config = this.#deps.definition.config;
		const timeout = this.#deps.options.connectTimeout;
		const clock = this.#deps.clock;
		if (config.connParamsSchema) {
			const result = await config.connParamsSchema["~standard"].validate(params);
			if (result.issues) throw errors.connParamsRejected(describeIssues(result.issues));
			params = result.value;
		}
		if (config.onBeforeConnect) {
			const hook = config.onBeforeConnect;
			await withTimeout(
				callAsync(() => hook(this.#context, params)),
				clock,
				timeout,
				() => errors.hookTimedOut("onBeforeConnect", timeout),
			);
		}
		let state: unknown;
		if (config.createConnState) {
			const create = config.createConnState;
			state = await withTimeout(
				callAsync(() => create(this.#context, params)),
				clock,
				timeout,
				() => errors.hookTimedOut("createConnState", timeout),
			);
		} else if (config.connState !== undefined) {
			state = structuredClone(config.connState);
		}
		return new ConnectionImpl(this, randomId(20), params, state, transport);
	}

	/**
	 * Opens a realtime connection: connect hooks, registration, `onConnect`,
	 * then `Init` through the output gate. On rejection the transport gets an
	 * `Error` frame and is closed with a code (1008 for caller errors, 1011
	 * otherwise) and a `group.code` reason.
	 */
	async openConnection(
		params: unknown,
		transport: ConnTransport,
	): Promise<ConnectionImpl | undefined> {
		let conn: ConnectionImpl | undefined;
		try {
			conn = await this.#track(this.#prepareConn(params, transport));
			this.#conns.set(conn.id, conn);
			const onConnect = this.#deps.definition.config.onConnect;
			if (onConnect) {
				const opened = conn;
				const timeout = this.#deps.options.connectTimeout;
				await this.#track(
					withTimeout(
						callAsync(() => onConnect(this.#context, opened)),
						this.#deps.clock,
						timeout,
						() => errors.hookTimedOut("onConnect", timeout),
					),
				);
			}
			this.#afterTurn();
		} catch (error) {
			if (conn) {
				this.#conns.delete(conn.id);
				conn.closed = true;
			}
			const payload = toErrorPayload(
				this.#publicError(error, "connect"),
				this.#deps.exposeInternalErrors,
			);
			transport.send(
				encodeToClient(transport.encoding, { tag: "Error", error: payload, actionId: null }),
			);
			transport.close(closeCodeFor(payload), closeReason(`${payload.group}.${payload.code}`));
			this.#maybeIdle();
			return undefined;
		}
		const init = encodeToClient(transport.encoding, {
			tag: "Init",
			actorId: this.actorId,
			connectionId: conn.id,
		});
		const generation = this.#writer.requiredGeneration();
		this.#writer.flushFor(generation);
		conn.enqueue(init, generation, this.#writer.durableGeneration);
		return conn;
	}

	/** Handles one decoded message from a connection. */
	handleMessage(conn: ConnectionImpl, message: ToServer): void {
		switch (message.tag) {
			case "SubscriptionRequest":
				if (message.subscribe) conn.subscriptions.add(message.eventName);
				else conn.subscriptions.delete(message.eventName);
				return;
			case "ActionRequest":
				void this.#connAction(conn, message.id, message.name, message.args);
				return;
		}
	}

	/** Sends an error for an action id (or the connection) through the gate. */
	sendError(conn: ConnectionImpl, error: unknown, actionId: ActionId | null): void {
		if (conn.transport === undefined) return;
		const payload = toErrorPayload(error, this.#deps.exposeInternalErrors);
		const frame = encodeToClient(conn.transport.encoding, {
			tag: "Error",
			error: payload,
			actionId,
		});
		const generation = this.#writer.requiredGeneration();
		this.#writer.flushFor(generation);
		conn.enqueue(frame, generation, this.#writer.durableGeneration);
	}

	async #connAction(
		conn: ConnectionImpl,
		id: ActionId,
		name: string,
		args: unknown[],
	): Promise<void> {
		const encoding = (conn.transport as ConnTransport).encoding;
		let frame: string | Uint8Array;
		try {
			const output = await this.#invoke(name, args, conn);
			frame = encodeToClient(encoding, { tag: "ActionResponse", id, output });
			const limit = this.#deps.limits.maxOutgoingMessageBytes;
			if (encodedLength(frame) > limit)
				throw errors.outgoingTooLong(`The response of '${name}'`, limit);
		} catch (error) {
			const payload = toErrorPayload(
				this.#publicError(error, `action '${name}'`),
				this.#deps.exposeInternalErrors,
			);
			frame = encodeToClient(encoding, { tag: "Error", error: payload, actionId: id });
		}
		if (this.status === "stopped") return;
		const generation = this.#writer.requiredGeneration();
		this.#writer.flushFor(generation);
		conn.enqueue(frame, generation, this.#writer.durableGeneration);
	}

	/** The socket of `conn` closed: unregister it and run `onDisconnect`. */
	connectionClosed(conn: ConnectionImpl): void {
		if (conn.closed) return;
		conn.closed = true;
		conn.dropHeld();
		if (!this.#conns.delete(conn.id)) return;
		const onDisconnect = this.#deps.definition.config.onDisconnect;
		if (onDisconnect && this.status !== "stopped") {
			void this.#track(callAsync(() => onDisconnect(this.#context, conn))).catch((error: unknown) =>
				this.log.error("onDisconnect threw", { error }),
			);
		} else {
			this.#maybeIdle();
		}
	}

	/** Logs an internal error once, with context, and returns what the caller may see. */
	#publicError(error: unknown, where: string): ActorError {
		if (error instanceof ActorError) return error;
		this.log.error(`error in ${where}`, { error });
		return toPublicError(error, this.#deps.exposeInternalErrors);
	}

	// ---- Stopping -----------------------------------------------------------------

	/**
	 * Stops the actor gracefully: new work is refused, in-flight work gets the
	 * grace period, then `onSleep` / `onDestroy`, connections close, writes are
	 * made durable (or, on destroy, all data is deleted).
	 */
	stop(kind: StopKind): Promise<void> {
		if (this.#stopping) return this.#stopping;
		if (this.status !== "awake") return this.stopped;
		this.#stopping = this.#stop(kind);
		return this.#stopping;
	}

	async #stop(kind: StopKind): Promise<void> {
		this.status = "stopping";
		this.#abort.abort();
		if (this.#sleepTimer !== undefined) this.#deps.clock.clearTimeout(this.#sleepTimer);
		const config = this.#deps.definition.config;
		try {
			await this.#drain(this.#deps.options.sleepGracePeriod);
			const hook = kind === "destroy" ? config.onDestroy : config.onSleep;
			if (hook) {
				await withTimeout(
					callAsync(() => hook(this.#context)),
					this.#deps.clock,
					this.#deps.options.sleepGracePeriod,
					() =>
						errors.hookTimedOut(
							kind === "destroy" ? "onDestroy" : "onSleep",
							this.#deps.options.sleepGracePeriod,
						),
				).catch((error: unknown) =>
					this.log.error(`${kind === "destroy" ? "onDestroy" : "onSleep"} failed`, { error }),
				);
			}
			this.#runStateChangeHook();
			if (kind === "destroy") {
				await this.#destroyData();
			} else {
				await this.#writer.flush();
			}
			this.#closeAllConnections(kind);
		} catch (error) {
			this.log.error("stopping the actor failed; unsaved changes are lost", { error, kind });
			this.#closeAllConnections(kind);
		} finally {
			this.#writer.close(errors.actorStopped());
			await this.#deps.storage.placement.release(this.actorId).catch(() => {});
			this.status = "stopped";
			this.#deps.onStopped(this);
			this.#stoppedResolve();
		}
	}

	#isQuiet(): boolean {
		return this.#activeTurns === 0 && this.#keepAwakeCount === 0 && this.#waitUntil.size === 0;
	}

	/** Waits until no work is in flight, or the grace period ends. */
	async #drain(graceMs: number): Promise<void> {
		if (this.#isQuiet()) return;
		await new Promise<void>((resolve) => {
			const finish = () => {
				this.#deps.clock.clearTimeout(timer);
				this.#onQuiet = undefined;
				resolve();
			};
			const timer = this.#deps.clock.setTimeout(() => {
				this.log.warn("sleep grace period ended with work still running", {
					activeTurns: this.#activeTurns,
				});
				finish();
			}, graceMs);
			this.#onQuiet = () => {
				if (this.#isQuiet()) finish();
			};
		});
	}

	async #destroyData(): Promise<void> {
		const { directory, store } = this.#deps.storage;
		// Mark destroyed first: a crash before the data is deleted leaves
		// unreachable data, never a half-deleted actor that wakes up again.
		await directory.markDestroyed(this.actorId, this.#deps.clock.now());
		const fence = await this.#deps.storage.placement.acquire(this.actorId);
		const [result] = await store.commit([
			{ actorId: this.actorId, fence, clear: true, puts: [], deletes: [], alarm: null },
		]);
		if (result && !result.ok)
			this.log.warn("destroyed actor's data was not deleted: fenced", { result });
	}

	#closeAllConnections(kind: StopKind): void {
		const [code, reason] =
			kind === "destroy"
				? [CLOSE.normal, "actor.destroyed"]
				: kind === "sleep"
					? [CLOSE.restart, "actor.sleeping"]
					: [CLOSE.goingAway, "core.shutting_down"];
		for (const conn of [...this.#conns.values()]) {
			conn.release(this.#writer.durableGeneration);
			conn.closed = true;
			conn.transport?.close(code, reason);
		}
		this.#conns.clear();
	}

	/** A commit failed: drop everything in memory and stop at once; the next request re-wakes from storage. */
	#reset(error: unknown): void {
		if (this.status === "stopped") return;
		this.log.error("commit failed; resetting the actor to its last durable state", { error });
		this.#abandon(error);
	}

	/** Stops without hooks or writes (failed start or failed commit). */
	#abandon(error: unknown): void {
		this.status = "stopped";
		this.#abort.abort();
		if (this.#sleepTimer !== undefined) this.#deps.clock.clearTimeout(this.#sleepTimer);
		this.#writer.close(error);
		for (const conn of [...this.#conns.values()]) {
			conn.dropHeld();
			conn.closed = true;
			conn.transport?.close(CLOSE.internal, "core.internal_error");
		}
		this.#conns.clear();
		void this.#deps.storage.placement.release(this.actorId).catch(() => {});
		this.#deps.onStopped(this);
		this.#stoppedResolve();
	}
}
