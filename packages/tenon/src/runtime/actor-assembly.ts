import type { AnyActorDefinition } from "../actor/definition.js";
import type { ResolvedActorOptions } from "../actor/options.js";
import type { ActorKeyList } from "../actor/types.js";
import type { Clock } from "../common/clock.js";
import { randomId } from "../common/ids.js";
import type { Logger } from "../common/logger.js";
import type { ActorMetrics } from "../observability/metrics.js";
import { traceCommitWait } from "../observability/tracing.js";
import { type ActorError, errors } from "../protocol/errors.js";
import type { Limits } from "../protocol/limits.js";
import { PRESENCE_EVENT, STATE_EVENT } from "../protocol/sync-names.js";
import type { CommitPipeline } from "../storage/commit-pipeline.js";
import type { ActorRecord, StorageHandles } from "../storage/interfaces.js";
import type { ActionImpl } from "./action-table.js";
import { ActorActivity } from "./actor-activity.js";
import { ActorCalls } from "./actor-calls.js";
import type { ActorCore } from "./actor-core.js";
import type { ActorRuns } from "./actor-run-start.js";
import { StateChangeHook } from "./actor-steps.js";
import { ActorSurface } from "./actor-surface.js";
import { ActorTurns } from "./actor-turns.js";
import { ActorWriter } from "./actor-writer.js";
import { AssembledCore } from "./assembled-core.js";
import { ConnWriteSource } from "./connections/conn-records.js";
import { ConnSocket } from "./connections/conn-socket.js";
import { ConnectionImpl } from "./connections/connection.js";
import { ConnectionHub } from "./connections/connection-hub.js";
import type { ConnectionLinks } from "./connections/links.js";
import { Presence } from "./connections/presence.js";
import { SharedStateSync } from "./connections/shared-state.js";
import type { SocketRegistry } from "./connections/socket-registry.js";
import { ActionContextImpl, ActorContextImpl } from "./context-impl.js";
import type { InspectionHooks } from "./event-taps.js";
import { KvImpl } from "./kv-impl.js";
import { PendingWrites } from "./pending-writes.js";
import { QueueManager } from "./queue-manager.js";
import { ScheduleManager } from "./schedule-manager.js";
import type { LoadedState } from "./state-loader.js";
import { StateWriteSource } from "./state-source.js";
import { StateTracker } from "./state-tracker.js";
import { TurnHistory } from "./turn-history.js";

/** Lifecycle of an instance: `starting -> awake -> stopping -> stopped`. */
export type ActorStatus = "starting" | "awake" | "stopping" | "stopped";

/** Everything an instance needs from its host. */
export interface ActorInstanceDeps {
	record: ActorRecord;
	definition: AnyActorDefinition;
	actions: ReadonlyMap<string, ActionImpl>;
	options: ResolvedActorOptions;
	storage: StorageHandles;
	pipeline: CommitPipeline;
	/** The node's client sockets (they outlive the instance while connections hibernate). */
	sockets: SocketRegistry;
	/** In a cluster: how sockets held by other nodes are reached. */
	links: ConnectionLinks | undefined;
	clock: Clock;
	logger: Logger;
	limits: Limits;
	exposeInternalErrors: boolean;
	/** A typed client for actor-to-actor calls (`c.client()`). */
	createClient(): unknown;
	/** A commit changed the actor's alarm (`null`: no alarm). */
	onAlarmCommitted(actorId: string, at: number | null): void;
	/** Where the actor type's metrics go. */
	metrics: ActorMetrics;
	/** Commits and events, for the inspector's live views. */
	inspection: InspectionHooks | undefined;
}

/** What the assembly needs from the instance it builds the parts of. */
export interface AssemblyHost {
	readonly deps: ActorInstanceDeps;
	/** The write fence the instance holds (its lease epoch in a cluster). */
	readonly fence: number;
	/** The actor's key, frozen (one copy shared by the instance and the surface). */
	readonly key: ActorKeyList;
	/** Aborts when the actor stops (made on first use: most actors never ask). */
	abortSignal(): AbortSignal;
	status(): ActorStatus;
	log(): Logger;
	/** Sleeps or destroys the actor (after the calling turn). */
	stop(kind: "sleep" | "destroy"): void;
	/** A commit failed: drop everything and stop at once. */
	reset(error: unknown): void;
	/** The `run` handler, once started. */
	runs(): ActorRuns | undefined;
}

/** The collaborators one awake actor is made of. */
export interface ActorParts {
	/** What collaborators (connections, queues, schedules, raw handlers) reach of the actor. */
	readonly core: ActorCore;
	readonly activity: ActorActivity;
	readonly turns: ActorTurns;
	readonly tracker: StateTracker;
	readonly writes: PendingWrites;
	readonly writer: ActorWriter;
	readonly surface: ActorSurface;
	/** The `c` lifecycle hooks get. */
	readonly context: ActorContextImpl;
	readonly stateChange: StateChangeHook;
	readonly hub: ConnectionHub;
	readonly connRecords: ConnWriteSource;
	readonly kv: KvImpl;
	readonly queue: QueueManager;
	readonly schedules: ScheduleManager;
	readonly calls: ActorCalls;
	/** The turn history for time travel; undefined unless the `turnHistory` option is on. */
	readonly history: TurnHistory | undefined;
	/** End-of-turn work: `onStateChange`, then get the writes committed. */
	afterTurn(): void;
	/** Writes made outside a turn (a timer in user code, a `run` loop) commit right after this microtask. */
	writesOutsideTurn(): void;
}

/**
 * Builds the parts of one awake actor and wires them to each other with
 * narrow capabilities: each gets the functions it needs, not the instance.
 */
export function assembleActor(host: AssemblyHost, loaded: LoadedState): ActorParts {
	const { deps } = host;
	const config = deps.definition.config;
	const actorId = deps.record.actorId;
	// Parts refer to each other through this object; all are set before any runs.
	const p = {} as {
		-readonly [K in keyof ActorParts]: ActorParts[K];
	};
	let internalConn: ConnectionImpl | undefined;
	const running = () => host.status() !== "stopped" && host.status() !== "starting";

	p.afterTurn = () => {
		if (host.status() === "stopped") return;
		p.stateChange.run(p.context);
		p.hub.deps.sync?.afterTurn();
		if (p.writer.hasPendingWrites) p.writer.writesChanged();
		p.activity.maybeIdle();
	};
	p.writesOutsideTurn = () => {
		queueMicrotask(() => {
			if (p.activity.activeTurns === 0 && running()) p.afterTurn();
		});
	};
	const assertAwake = () => {
		if (host.status() !== "awake") throw errors.actorStopping();
	};
	p.core = new AssembledCore(host, p);
	const publicError = (error: unknown, where: string, requestId?: string): ActorError =>
		p.core.publicError(error, where, requestId);
	const outputGeneration = () => p.core.outputGeneration();

	p.activity = new ActorActivity({
		clock: deps.clock,
		log: host.log,
		sleepTimeout: deps.options.sleepTimeout,
		noSleep: deps.options.noSleep,
		// Connections that hibernate do not keep the actor awake; nor do hibernatable raw sockets.
		othersIdle: () =>
			host.status() === "awake" &&
			p.hub.keepingAwake === 0 &&
			p.calls.rawSocketsKeepingAwake === 0 &&
			!(host.runs()?.busy ?? false) &&
			!p.writer.hasPendingWrites,
		onSettled: () => p.afterTurn(),
		sleep: () => host.stop("sleep"),
	});
	p.history =
		deps.options.turnHistory > 0
			? new TurnHistory({
					limit: deps.options.turnHistory,
					clock: deps.clock,
					rawState: () => p.tracker.raw,
					changeCount: () => p.tracker.changeCount,
				})
			: undefined;
	p.turns = new ActorTurns({
		actions: deps.actions,
		argsSchemas: config.actionInputSchemas,
		onBeforeActionResponse: config.onBeforeActionResponse,
		clock: deps.clock,
		actionTimeout: deps.options.actionTimeout,
		history: p.history,
		context: () => p.context,
		assertAwake,
		actionContext: (conn, fire, requestId) =>
			new ActionContextImpl(p.surface, conn, fire, conn.request, requestId),
		track: (promise) => p.activity.track(promise),
		afterTurn: () => p.afterTurn(),
		toRaw: (value) => p.tracker.toRaw(value),
		outputGate: () =>
			deps.metrics.timeOutputGate(
				traceCommitWait(() => p.writer.whenDurable(outputGeneration())),
				"http",
			),
		traced: p.core.traced,
		publicError,
		metrics: deps.metrics,
	});
	p.tracker = new StateTracker(loaded.initialized ? loaded.state : undefined, p.writesOutsideTurn);
	p.writes = new PendingWrites(deps.storage.store, actorId, p.writesOutsideTurn);
	p.surface = new ActorSurface({
		actorId,
		name: deps.record.name,
		key: host.key,
		abortSignal: host.abortSignal,
		log: host.log,
		hub: () => p.hub,
		kv: () => p.kv,
		queue: () => p.queue,
		schedules: () => p.schedules,
		eventTap: () => deps.inspection?.eventTap(actorId),
		outputSent: () => p.writer.whenDurable(outputGeneration()),
		tracker: () => p.tracker,
		activity: () => p.activity,
		writer: () => p.writer,
		createClient: () => deps.createClient(),
		stop: (kind) => host.stop(kind),
	});
	p.context = new ActorContextImpl(p.surface);
	p.stateChange = new StateChangeHook(config.onStateChange, p.tracker, host.log);
	p.connRecords = new ConnWriteSource(
		p.writesOutsideTurn,
		(conn) => p.hub.unpersisted(conn),
		host.log,
	);
	const sync =
		config.shareState === undefined || config.shareState === false
			? undefined
			: new SharedStateSync({
					share: config.shareState,
					rawState: () => p.tracker.raw,
					changeCount: () => p.tracker.changeCount,
					subscribers: () => p.hub.subscribersOf(STATE_EVENT),
					send: (conn, message) => p.hub.sendEvent(conn, STATE_EVENT, [message]),
					broadcast: (message) => p.hub.broadcast(STATE_EVENT, [message]),
					log: host.log,
				});
	const presence =
		config.presence === undefined || config.presence === false
			? undefined
			: new Presence({
					options: config.presence === true ? {} : config.presence,
					clock: deps.clock,
					subscribers: () => p.hub.subscribersOf(PRESENCE_EVENT),
					connections: () => p.hub.conns.values(),
					slotOf: (conn) => (conn.transport instanceof ConnSocket ? conn.transport : undefined),
					send: (conn, payload) =>
						p.hub.sendUngated(conn, { tag: "Event", name: PRESENCE_EVENT, args: [payload] }),
					broadcast: (entry) => p.hub.broadcastUngated(PRESENCE_EVENT, [entry]),
					publicError,
				});
	p.hub = new ConnectionHub({
		core: p.core,
		hooks: config,
		context: p.context,
		checkContext: (conn) => new ActionContextImpl(p.surface, conn, undefined),
		sockets: deps.sockets,
		records: p.connRecords,
		running: () => host.status() !== "stopped",
		nodeId: deps.links?.nodeId,
		links: deps.links,
		sync,
		presence,
	});
	p.kv = new KvImpl(p.writes);
	p.queue = new QueueManager(p.core, p.writes, config.queues);
	// While a `run` loop has stored messages to consume, the alarm says
	// "now": after a crash, the restarted server wakes the actor for them.
	// A graceful sleep drops that part, so an idle loop is not woken again.
	const hasRun = config.run !== undefined;
	p.schedules = new ScheduleManager(
		p.core,
		p.writes,
		() => {
			internalConn ??= new ConnectionImpl(
				p.hub,
				`internal-${randomId(8)}`,
				undefined,
				undefined,
				undefined,
			);
			return internalConn;
		},
		() => {
			const queued = hasRun && host.status() !== "stopping" ? p.queue.oldestCreatedAt : undefined;
			const run = host.runs()?.wakeAt;
			return queued === undefined ? run : run === undefined ? queued : Math.min(queued, run);
		},
	);
	p.queue.onChange(() => p.schedules.alarmChanged());
	p.calls = new ActorCalls({
		core: p.core,
		contexts: p.surface,
		config,
		clock: deps.clock,
		connectTimeout: deps.options.connectTimeout,
		hub: p.hub,
		records: p.connRecords,
		sockets: deps.sockets,
		hibernateConnections: deps.options.hibernateConnections,
		turns: p.turns,
		queue: p.queue,
		assertAwake,
		track: (promise) => p.activity.track(promise),
	});
	p.writer = new ActorWriter({
		actorId,
		fence: host.fence,
		pipeline: deps.pipeline,
		sources: [
			new StateWriteSource(p.tracker, loaded.initialized ? loaded.shape : undefined),
			p.writes,
			p.schedules,
			p.connRecords,
			...(p.history === undefined ? [] : [p.history]),
		],
		durability: deps.options.durability,
		saveIntervalMs: deps.options.stateSaveInterval,
		clock: deps.clock,
		onFailure: (error) => host.reset(error),
		onDurable: (generation, alarm) => {
			p.hub.release(generation);
			if (alarm !== undefined) deps.onAlarmCommitted(actorId, alarm);
			deps.inspection?.committed(actorId);
			// Writes are collected when the commit is sent: idleness may have changed.
			p.activity.maybeIdle();
		},
	});
	return p;
}
