import type { AnyActorDefinition } from "../actor/definition.js";
import type { ResolvedActorOptions } from "../actor/options.js";
import { isRunProvider, type RunHost } from "../actor/run-host.js";
import type { FireInfo } from "../actor/schedule.js";
import type { ActorKeyList } from "../actor/types.js";
import type { Clock } from "../common/clock.js";
import { randomId } from "../common/ids.js";
import type { Logger } from "../common/logger.js";
import { withTimeout } from "../common/timeouts.js";
import { ActorError, errors, toPublicError } from "../protocol/errors.js";
import type { Limits } from "../protocol/limits.js";
import type { CommitPipeline } from "../storage/commit-pipeline.js";
import type { ActorRecord, StorageHandles } from "../storage/interfaces.js";
import type { ActionImpl } from "./action-table.js";
import { ActorActivity } from "./actor-activity.js";
import { ActorCalls } from "./actor-calls.js";
import type { ActorCore } from "./actor-core.js";
import { ActorRun } from "./actor-run.js";
import { destroyActorData, runStopHook, runWakeSequence, StateChangeHook } from "./actor-steps.js";
import { ActorSurface } from "./actor-surface.js";
import { ActorTurns } from "./actor-turns.js";
import { ActorWriter } from "./actor-writer.js";
import { type Caller, callerWithParams } from "./caller.js";
import { ConnectionImpl, type ConnTransport } from "./connections/connection.js";
import {
	type CloseKind,
	ConnectionHub,
	type OpenedConnection,
} from "./connections/connection-hub.js";
import { ActionContextImpl, ActorContextImpl } from "./context-impl.js";
import { databaseHost } from "./database-host.js";
import { KvImpl } from "./kv-impl.js";
import { PendingWrites } from "./pending-writes.js";
import { QueueManager } from "./queue-manager.js";
import { createRunHost } from "./run-host.js";
import { ScheduleManager } from "./schedule-manager.js";
import { type LoadedState, loadState } from "./state-loader.js";
import { StateWriteSource } from "./state-source.js";
import { StateTracker } from "./state-tracker.js";

export { CLOSE, closeCodeFor } from "./connections/connection-hub.js";

/** Lifecycle of an instance: `starting -> awake -> stopping -> stopped`. */
export type ActorStatus = "starting" | "awake" | "stopping" | "stopped";

/** Why an instance stops. */
export type StopKind = CloseKind;

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
	/** A typed client for actor-to-actor calls (`c.client()`). */
	createClient(): unknown;
	/** A commit changed the actor's alarm (`null`: no alarm). */
	onAlarmCommitted(actorId: string, at: number | null): void;
	/** Called once the instance has fully stopped (or was reset). */
	onStopped(instance: ActorInstance): void;
}

/**
 * One awake actor: its state, connections, queues, timers and lifecycle.
 * Created by the {@link ActorHost}; everything that reaches user code goes
 * through here.
 */
export class ActorInstance implements ActorCore {
	readonly actorId: string;
	readonly name: string;
	readonly key: ActorKeyList;
	/** The namespace the actor lives in (requests from other namespaces do not find it). */
	readonly namespace: string;
	#log: Logger | undefined;
	status: ActorStatus = "starting";

	readonly #deps: ActorInstanceDeps;
	readonly #tracker: StateTracker;
	readonly #writes: PendingWrites;
	readonly #writer: ActorWriter;
	readonly #context: ActorContextImpl;
	readonly #abort = new AbortController();
	readonly #hub: ConnectionHub;
	readonly #kv: KvImpl;
	readonly #queue: QueueManager;
	readonly #schedules: ScheduleManager;
	/** The connection scheduled actions run on (made on first use). */
	#internalConn: ConnectionImpl | undefined;
	/** What user code reaches (`c`): state, vars, KV, queues, timers, database, events. */
	readonly #surface: ActorSurface;
	readonly #activity: ActorActivity;
	readonly #turns: ActorTurns;
	/** The calls that reach the actor from outside: HTTP actions, queue sends, raw requests and sockets. */
	readonly calls: ActorCalls;
	/** The `run` handler's loop (restarted when it fails); undefined without one. */
	#run: ActorRun<RunHost> | ActorRun<ActorContextImpl> | undefined;
	readonly #stateChange: StateChangeHook;
	#stopping: Promise<void> | undefined;
	#stoppedResolve!: () => void;
	/** The write fence this instance holds (its lease epoch in a cluster). */
	readonly #fence: number;
	/** Resolves once the instance has stopped for any reason. */
	readonly stopped: Promise<void>;

	private constructor(deps: ActorInstanceDeps, fence: number, loaded: LoadedState) {
		this.#deps = deps;
		this.#fence = fence;
		this.actorId = deps.record.actorId;
		this.name = deps.record.name;
		this.namespace = deps.record.namespace;
		this.key = Object.freeze([...deps.record.key]);
		this.stopped = new Promise<void>((resolve) => {
			this.#stoppedResolve = resolve;
		});
		this.#activity = new ActorActivity({
			clock: deps.clock,
			log: () => this.log,
			sleepTimeout: deps.options.sleepTimeout,
			noSleep: deps.options.noSleep,
			othersIdle: () =>
				this.status === "awake" &&
				this.#hub.size === 0 &&
				this.calls.openRawSockets === 0 &&
				!this.#runBusy() &&
				!this.#writer.hasPendingWrites,
			onSettled: () => this.afterTurn(),
			sleep: () => void this.stop("sleep"),
		});
		const config = deps.definition.config;
		this.#turns = new ActorTurns({
			actions: deps.actions,
			argsSchemas: config.actionInputSchemas,
			onBeforeActionResponse: config.onBeforeActionResponse,
			clock: deps.clock,
			actionTimeout: deps.options.actionTimeout,
			context: () => this.#context,
			assertAwake: () => this.#assertAwake(),
			actionContext: (conn, fire) => new ActionContextImpl(this.#surface, conn, fire, conn.request),
			track: (promise) => this.#activity.track(promise),
			afterTurn: () => this.afterTurn(),
			toRaw: (value) => this.#tracker.toRaw(value),
			outputGate: () => this.#writer.whenDurable(this.outputGeneration()),
			publicError: (error, where) => this.publicError(error, where),
		});
		const onWrite = () => this.#writesOutsideTurn();
		this.#tracker = new StateTracker(loaded.initialized ? loaded.state : undefined, onWrite);
		this.#writes = new PendingWrites(deps.storage.store, this.actorId, onWrite);
		this.#surface = new ActorSurface({
			actorId: this.actorId,
			name: this.name,
			key: this.key,
			abortSignal: this.#abort.signal,
			log: () => this.log,
			hub: () => this.#hub,
			kv: () => this.#kv,
			queue: () => this.#queue,
			schedules: () => this.#schedules,
			tracker: () => this.#tracker,
			activity: () => this.#activity,
			writer: () => this.#writer,
			createClient: () => deps.createClient(),
			stop: (kind) => void this.stop(kind),
		});
		this.#context = new ActorContextImpl(this.#surface);
		this.#stateChange = new StateChangeHook(config.onStateChange, this.#tracker, () => this.log);
		this.#hub = new ConnectionHub(
			this,
			config,
			this.#context,
			(caller, transport) => this.calls.prepareConn(caller, transport),
			(conn) => new ActionContextImpl(this.#surface, conn, undefined),
		);
		this.#kv = new KvImpl(this.#writes);
		this.#queue = new QueueManager(this, this.#writes, config.queues);
		// While a `run` loop has stored messages to consume, the alarm says
		// "now": after a crash, the restarted server wakes the actor for them.
		// A graceful sleep drops that part, so an idle loop is not woken again.
		const hasRun = config.run !== undefined;
		this.#schedules = new ScheduleManager(
			this,
			this.#writes,
			() => this.#internal(),
			() => {
				const queued =
					hasRun && this.status !== "stopping" ? this.#queue.oldestCreatedAt : undefined;
				const run = this.#run?.wakeAt;
				return queued === undefined ? run : run === undefined ? queued : Math.min(queued, run);
			},
		);
		this.#queue.onChange(() => this.#schedules.alarmChanged());
		this.calls = new ActorCalls({
			host: this,
			contexts: this.#surface,
			config,
			clock: deps.clock,
			connectTimeout: deps.options.connectTimeout,
			hub: this.#hub,
			turns: this.#turns,
			queue: this.#queue,
			assertAwake: () => this.#assertAwake(),
			track: (promise) => this.#activity.track(promise),
		});
		this.#writer = new ActorWriter({
			actorId: this.actorId,
			fence,
			pipeline: deps.pipeline,
			sources: [
				new StateWriteSource(this.#tracker, loaded.initialized ? loaded.shape : undefined),
				this.#writes,
				this.#schedules,
			],
			durability: deps.options.durability,
			saveIntervalMs: deps.options.stateSaveInterval,
			clock: deps.clock,
			onFailure: (error) => this.#reset(error),
			onDurable: (generation, alarm) => {
				this.#hub.release(generation);
				if (alarm !== undefined) deps.onAlarmCommitted(this.actorId, alarm);
				// Writes are collected when the commit is sent: idleness may have changed.
				this.maybeIdle();
			},
		});
	}

	/** The actor's logger, bound to its name and id (made on first use). */
	get log(): Logger {
		this.#log ??= this.#deps.logger.child({ actor: this.name, actorId: this.actorId });
		return this.#log;
	}

	#internal(): ConnectionImpl {
		this.#internalConn ??= new ConnectionImpl(
			this.#hub,
			`internal-${randomId(8)}`,
			undefined,
			undefined,
			undefined,
		);
		return this.#internalConn;
	}

	/**
	 * Loads an actor from storage and runs its wake sequence:
	 * (createState, onCreate for a new actor), createVars, onWake; then starts
	 * its timers and its `run` loop.
	 */
	static async start(deps: ActorInstanceDeps): Promise<ActorInstance> {
		const fence = await deps.storage.placement.acquire(deps.record.actorId);
		const loaded = await loadState(deps.storage.store, deps.record.actorId);
		const instance = new ActorInstance(deps, fence, loaded);
		try {
			await instance.#queue.load(deps.storage.store, instance.actorId);
			await instance.#schedules.load(deps.storage.store, instance.actorId);
			const database = deps.definition.config.db;
			if (database)
				instance.#surface.database = await database.open(
					databaseHost(instance.actorId, instance.log, deps.clock, instance.#writes, deps.options),
				);
			await withTimeout(instance.#wake(loaded), deps.clock, deps.options.wakeTimeout, () =>
				errors.hookTimedOut("wake", deps.options.wakeTimeout),
			);
		} catch (error) {
			instance.#abandon(error);
			throw error;
		}
		instance.status = "awake";
		instance.#schedules.start();
		instance.#startRun();
		// Commit what waking wrote (a new actor's state) unless the request that
		// woke the actor commits it first, together with its own writes.
		setImmediate(() => {
			if (instance.status === "awake" && instance.#activity.activeTurns === 0)
				instance.#writer.writesChanged();
		});
		instance.maybeIdle();
		return instance;
	}

	async #wake(loaded: LoadedState): Promise<void> {
		const identity = { actorId: this.actorId, name: this.name, key: this.key, log: this.log };
		this.#surface.setVars(
			await runWakeSequence(
				this.#deps.definition.config,
				identity,
				loaded,
				this.#tracker,
				this.#context,
				() => this.#deps.storage.directory.readInput(this.actorId),
			),
		);
		// Establishing state on wake is not a change for onStateChange.
		this.#stateChange.settle();
	}

	#startRun(): void {
		const run = this.#deps.definition.config.run;
		if (!run) return;
		const runDeps = {
			clock: this.#deps.clock,
			log: this.log,
			abortSignal: this.#abort.signal,
			hasQueueReceivers: () => this.#queue.hasReceivers,
			releaseLeases: () => this.#queue.releaseRunLeases(),
			onChange: () => {
				this.afterTurn();
				this.#activity.changed();
			},
			onIdle: () => this.maybeIdle(),
			onWorkChanged: () => this.#activity.changed(),
			onWakeAtChanged: () => {
				this.#schedules.alarmChanged();
				this.#writesOutsideTurn();
			},
		};
		if (isRunProvider(run)) {
			// A plugin (a workflow) drives the actor through its published port.
			const parts = {
				actorId: this.actorId,
				log: this.log,
				clock: this.#deps.clock,
				abortSignal: this.#abort.signal,
				context: this.#context,
				writes: this.#writes,
				queue: this.#queue,
				track: <T>(work: Promise<T>) => this.#activity.track(work),
				toRaw: <T>(value: T) => this.#tracker.toRaw(value),
			};
			this.#run = new ActorRun<RunHost>({
				...runDeps,
				run: (host) => run.run(host),
				createContext: (control) => createRunHost(parts, control),
			});
		} else {
			this.#run = new ActorRun<ActorContextImpl>({
				...runDeps,
				run,
				// Its queue view releases the handler's leases if it fails.
				createContext: () => new ActorContextImpl(this.#surface, this.#queue.runView),
			});
		}
		this.#run.start();
	}

	get abortSignal(): AbortSignal {
		return this.#abort.signal;
	}
	keepAwake<T>(promise: Promise<T>): Promise<T> {
		return this.#activity.keepAwake(promise);
	}

	// ---- ActorCore -------------------------------------------------------------

	get clock(): Clock {
		return this.#deps.clock;
	}
	get options(): ResolvedActorOptions {
		return this.#deps.options;
	}
	get limits(): Limits {
		return this.#deps.limits;
	}
	get exposeInternalErrors(): boolean {
		return this.#deps.exposeInternalErrors;
	}
	get durableGeneration(): number {
		return this.#writer.durableGeneration;
	}
	isAwake(): boolean {
		return this.status === "awake";
	}
	get connectionCount(): number {
		return this.#hub.size + this.calls.openRawSockets;
	}
	/** When the actor last started a unit of work (for least-recently-used eviction). */
	get lastActiveAt(): number {
		return this.#activity.lastActiveAt;
	}
	/** True while work runs: a turn, a `keepAwake` promise or a busy `run` loop. */
	get busy(): boolean {
		return this.#activity.working || this.#runBusy();
	}
	outputGeneration(): number {
		const generation = this.#writer.requiredGeneration();
		this.#writer.flushFor(generation);
		return generation;
	}
	whenDurable(generation: number): Promise<void> {
		return this.#writer.whenDurable(generation);
	}
	hasAction(name: string): boolean {
		return this.#deps.actions.has(name);
	}
	toRaw<T>(value: T): T {
		return this.#tracker.toRaw(value);
	}
	publicError(error: unknown, where: string): ActorError {
		if (error instanceof ActorError) return error;
		this.log.error(`error in ${where}`, { error });
		return toPublicError(error, this.#deps.exposeInternalErrors);
	}
	ephemeralConn(params: unknown): Promise<ConnectionImpl> {
		return this.calls.prepareConn(callerWithParams(params), undefined);
	}

	/** Counts `promise` as work in progress until it settles. */
	track<T>(promise: Promise<T>): Promise<T> {
		return this.#activity.track(promise);
	}

	/** End-of-turn work: `onStateChange`, then get the writes committed. */
	afterTurn(): void {
		if (this.status === "stopped") return;
		this.#stateChange.run(this.#context);
		if (this.#writer.hasPendingWrites) this.#writer.writesChanged();
		this.maybeIdle();
	}

	#writesOutsideTurn(): void {
		// Writes inside a turn are committed when it ends; others (a timer in
		// user code, a `run` loop, a fire-and-forget promise) right after this microtask.
		queueMicrotask(() => {
			if (
				this.#activity.activeTurns === 0 &&
				this.status !== "stopped" &&
				this.status !== "starting"
			)
				this.afterTurn();
		});
	}

	// ---- Idleness and sleep ------------------------------------------------------

	/** A `run` loop keeps the actor awake while it works, not while it waits (on the queue, or durably). */
	#runBusy(): boolean {
		return this.#run?.busy ?? false;
	}

	maybeIdle(): void {
		this.#activity.maybeIdle();
	}

	// ---- Actions -------------------------------------------------------------------

	#assertAwake(): void {
		if (this.status !== "awake") throw errors.actorStopping();
	}

	/** Runs an action and its response hook; the caller applies the output gate. */
	invoke(
		name: string,
		args: unknown[],
		conn: ConnectionImpl,
		fire?: FireInfo,
		onSettled?: (error: unknown) => void,
	): Promise<unknown> {
		return this.#turns.invoke(name, args, conn, fire, onSettled);
	}

	// ---- Connections (delegated to the hub) ------------------------------------------

	openConnection(caller: Caller, transport: ConnTransport): Promise<OpenedConnection> {
		return this.#hub.open(caller, transport);
	}

	handleMessage(
		conn: ConnectionImpl,
		message: Parameters<ConnectionHub["handleMessage"]>[1],
	): void {
		this.#hub.handleMessage(conn, message);
	}

	sendError(
		conn: ConnectionImpl,
		error: unknown,
		actionId: Parameters<ConnectionHub["sendError"]>[2],
	): void {
		this.#hub.sendError(conn, error, actionId);
	}

	connectionClosed(conn: ConnectionImpl): void {
		this.#hub.closed(conn, this.status !== "stopped");
	}

	// ---- Stopping ----------------------------------------------------------------------

	/**
	 * Destroys the actor unless a caller was accepted since it woke (or a
	 * connection is open): undoes a creation only while nobody else relies on
	 * the actor. Checked and started in one step, so no caller slips in.
	 */
	async destroyIfUnclaimed(): Promise<boolean> {
		if (this.status !== "awake" || this.calls.acceptedCallers > 0 || this.connectionCount > 0)
			return false;
		await this.stop("destroy");
		return true;
	}

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
		this.#halt();
		try {
			await this.#activity.drain(
				this.#deps.options.sleepGracePeriod,
				() => this.#run?.active ?? false,
			);
			this.#queue.close();
			await runStopHook(
				this.#deps.definition.config,
				kind,
				this.#context,
				this.#deps.clock,
				this.#deps.options.sleepGracePeriod,
				this.log,
			);
			this.#stateChange.run(this.#context);
			// The final save also recomputes the alarm, now without the queue's part.
			this.#schedules.alarmChanged();
			if (kind === "destroy")
				await destroyActorData({
					actorId: this.actorId,
					fence: this.#fence,
					storage: this.#deps.storage,
					writer: this.#writer,
					clock: this.#deps.clock,
					log: this.log,
					onAlarmCleared: () => this.#deps.onAlarmCommitted(this.actorId, null),
				});
			else await this.#writer.flush();
		} catch (error) {
			this.log.error("stopping the actor failed; unsaved changes are lost", { error, kind });
		} finally {
			this.#hub.closeAll(kind);
			this.calls.closeRawSockets(kind);
			await this.#release(errors.actorStopped());
			this.#stopped();
		}
	}

	/** New work ends: the abort signal fires, the sleep timer, timers and the `run` loop stop. */
	#halt(): void {
		this.#abort.abort();
		this.#activity.stopTimer();
		this.#schedules.close();
		this.#run?.stop();
	}

	/** After the connections closed: the writer and the database close, the lease goes. */
	#release(writerError: unknown): Promise<void> {
		this.#writer.close(writerError);
		this.#surface.database?.close();
		return this.#deps.storage.placement.release(this.actorId).catch(() => {});
	}

	#stopped(): void {
		this.status = "stopped";
		this.#deps.onStopped(this);
		this.#stoppedResolve();
	}

	/**
	 * This node no longer owns the actor (its lease was taken over): drop it
	 * at once, without hooks or writes (they would be fenced anyway).
	 * Connections close and clients reconnect to the new owner.
	 */
	drop(reason: string): void {
		if (this.status === "stopped") return;
		this.log.warn("dropping the actor", { reason });
		this.#abandon(new ActorError("actor", "moved", `The actor moved to another node (${reason})`));
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
		this.#halt();
		this.#queue.close();
		this.#hub.dropAll();
		this.calls.closeRawSockets(undefined);
		void this.#release(error);
		this.#stopped();
	}
}
