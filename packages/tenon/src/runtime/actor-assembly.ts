import type { AnyActorDefinition } from "../actor/definition.js";
import type { ResolvedActorOptions } from "../actor/options.js";
import { isRunProvider } from "../actor/run-host.js";
import type { ActorKeyList } from "../actor/types.js";
import type { Clock } from "../common/clock.js";
import { randomId } from "../common/ids.js";
import type { Logger } from "../common/logger.js";
import type { ActorMetrics } from "../observability/metrics.js";
import type { Limits } from "../protocol/limits.js";
import { PRESENCE_EVENT, STATE_EVENT } from "../protocol/sync-names.js";
import type { CommitPipeline } from "../storage/commit-pipeline.js";
import type { ActorStore, StorageHandles } from "../storage/interfaces.js";
import type { ActionImpl } from "./action-table.js";
import { ActorActivity } from "./actor-activity.js";
import { ActorCalls } from "./actor-calls.js";
import type { ActorCore } from "./actor-core.js";
import type { ActorRuns } from "./actor-run-start.js";
import { NO_STATE_CHANGE_HOOK, StateChangeHook, type StateChangeRunner } from "./actor-steps.js";
import { ActorSurface } from "./actor-surface.js";
import { ActorTurns } from "./actor-turns.js";
import { ActorWiring, SurfaceWiring, TurnWiring } from "./actor-wiring.js";
import { ActorWriter, type WriteSource } from "./actor-writer.js";
import { AssembledCore } from "./assembled-core.js";
import { ConnWriteSource } from "./connections/conn-records.js";
import { ConnSocket } from "./connections/conn-socket.js";
import { ConnectionImpl } from "./connections/connection.js";
import { ConnectionHub } from "./connections/connection-hub.js";
import type { ConnectionLinks } from "./connections/links.js";
import { Presence, type PresenceOptions } from "./connections/presence.js";
import { SharedStateSync } from "./connections/shared-state.js";
import type { SocketRegistry } from "./connections/socket-registry.js";
import { SyncFrames } from "./connections/sync-frames.js";
import { ActorContextImpl } from "./context-impl.js";
import type { InspectionHooks } from "./event-taps.js";
import { KvImpl } from "./kv-impl.js";
import { PendingWrites } from "./pending-writes.js";
import { QueueManager } from "./queue-manager.js";
import { emptyQueue, loadStoredQueue, type StoredQueue } from "./queue-records.js";
import { ScheduleManager } from "./schedule-manager.js";
import type { SleepScheduler } from "./sleep-scheduler.js";
import type { LoadedState } from "./state-loader.js";
import { StateWriteSource } from "./state-source.js";
import { StateTracker } from "./state-tracker.js";
import { stoppingRefusal } from "./stopping-refusal.js";
import { TurnHistory } from "./turn-history.js";

/** Lifecycle of an instance: `starting -> awake -> stopping -> stopped`. */
export type ActorStatus = "starting" | "awake" | "stopping" | "stopped";

/**
 * Everything an instance needs from its host, but its record: the same for
 * every actor of a type (one object per type, shared by its instances).
 */
export interface ActorInstanceDeps {
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
	/** The host's sleep countdowns (one timer for all its actors). */
	sleeps: SleepScheduler;
	logger: Logger;
	limits: Limits;
	exposeInternalErrors: boolean;
	/** A typed client for actor-to-actor calls (`c.client()`), its calls `callDepth` deep. */
	createClient(callDepth: number): unknown;
	/** A commit changed the actor's alarm (`null`: no alarm). */
	onAlarmCommitted(actorId: string, at: number | null): void;
	/** Where the actor type's metrics go. */
	metrics: ActorMetrics;
	/** Commits and events, for the inspector's live views. */
	inspection: InspectionHooks | undefined;
}

/** What the assembly needs from the instance it builds the parts of (the instance itself). */
export interface AssemblyHost {
	readonly deps: ActorInstanceDeps;
	/** The actor's id (from its record in the directory). */
	readonly actorId: string;
	/** Its type's name. */
	readonly name: string;
	/** The write fence the instance holds (its lease epoch in a cluster). */
	readonly fence: number;
	/** The actor's key, frozen (one copy shared by the instance and the surface). */
	readonly key: ActorKeyList;
	/** Aborts when the actor stops (made on first use: most actors never ask). */
	readonly abortSignal: AbortSignal;
	readonly status: ActorStatus;
	/** The actor's logger (made on first use). */
	readonly log: Logger;
	/** Sleeps or destroys the actor (after the calling turn). */
	stop(kind: "sleep" | "destroy"): Promise<void>;
	/** A commit failed: drop everything and stop at once. */
	reset(error: unknown): void;
	/** The `run` handler, once started. */
	readonly runs: ActorRuns | undefined;
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
	readonly stateChange: StateChangeRunner;
	readonly hub: ConnectionHub;
	readonly connRecords: ConnWriteSource;
	readonly kv: KvImpl;
	/** `c.queue`, made on first use (or on wake when messages or dead letters are stored). */
	readonly queue: QueueManager;
	/** The queue if it was made (what stops, metrics and alarms look at without making it). */
	readonly queueIfMade: QueueManager | undefined;
	/** Reads the queues' stored contents on wake; makes the queue only if they hold something. */
	loadQueue(store: ActorStore, actorId: string): Promise<void>;
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
 * narrow capabilities: each gets the functions it needs (its deps interface),
 * not the instance.
 */
export function assembleActor(host: AssemblyHost, loaded: LoadedState): ActorParts {
	return new AssembledActor(host, loaded);
}

/**
 * The parts of one awake actor, and the few things they share (end-of-turn
 * work, the internal connection timers fire on). The parts reach each other
 * through the wiring classes of actor-wiring.ts, whose methods live on shared
 * prototypes: nothing here makes a closure per actor but the one change hook
 * the state tracker and buffered writes share.
 */
export class AssembledActor extends ActorWiring implements ActorParts {
	readonly host: AssemblyHost;
	readonly core: AssembledCore;
	readonly activity: ActorActivity;
	readonly history: TurnHistory | undefined;
	readonly turns: ActorTurns;
	readonly tracker: StateTracker;
	readonly writes: PendingWrites;
	readonly surface: ActorSurface;
	readonly context: ActorContextImpl;
	readonly stateChange: StateChangeRunner;
	readonly connRecords: ConnWriteSource;
	/** The actor's shared state (`shareState`), when it shares one. */
	readonly sync: SharedStateSync | undefined;
	/** The actor's presence (`presence`), when it has one. */
	readonly presence: Presence | undefined;
	readonly hub: ConnectionHub;
	readonly kv: KvImpl;
	/** Made on first use: an actor that has no stored messages and uses no queue keeps none. */
	#queue: QueueManager | undefined;
	/** The sequence number of the next message, as stored (until the queue is made). */
	#queueSeq = 1;
	readonly schedules: ScheduleManager;
	readonly calls: ActorCalls;
	readonly writer: ActorWriter;
	readonly sources: readonly WriteSource[];
	/** Writes made outside a turn commit right after this microtask (one hook, shared by the write sources). */
	readonly writesOutsideTurn: () => void;
	/** The connection timers fire their actions on (made on first use). */
	#internalConn: ConnectionImpl | undefined;
	/** Frames of the shared state and presence (made on first use). */
	#syncFrames: SyncFrames | undefined;

	get syncFrames(): SyncFrames {
		this.#syncFrames ??= new SyncFrames(this.hub, (conn) => this.sync?.forget(conn));
		return this.#syncFrames;
	}

	constructor(host: AssemblyHost, loaded: LoadedState) {
		const { deps } = host;
		const config = deps.definition.config;
		const actorId = host.actorId;
		super();
		this.host = host;
		this.writesOutsideTurn = outsideTurnHook(this);
		this.core = new AssembledCore(host, this);
		this.activity = new ActorActivity(this);
		this.history = deps.options.turnHistory > 0 ? turnHistoryOf(this) : undefined;
		this.turns = new ActorTurns(new TurnWiring(this));
		this.tracker = new StateTracker(
			loaded.initialized ? loaded.state : undefined,
			this.writesOutsideTurn,
		);
		this.writes = new PendingWrites(deps.storage.store, actorId, this.writesOutsideTurn);
		this.surface = new ActorSurface(new SurfaceWiring(this));
		this.context = new ActorContextImpl(this.surface);
		// Most actors have no onStateChange: they share a hook that does nothing.
		this.stateChange = config.onStateChange
			? new StateChangeHook(config.onStateChange, this.tracker, host)
			: NO_STATE_CHANGE_HOOK;
		this.connRecords = new ConnWriteSource(this.writesOutsideTurn, this);
		this.sync =
			config.shareState === undefined || config.shareState === false
				? undefined
				: sharedStateOf(this, config.shareState);
		this.presence =
			config.presence === undefined || config.presence === false
				? undefined
				: presenceOf(this, config.presence === true ? {} : config.presence);
		this.hub = new ConnectionHub(this);
		this.kv = new KvImpl(this.writes);
		this.schedules = new ScheduleManager(this.core, this.writes, this);
		this.calls = new ActorCalls(this);
		const sources: WriteSource[] = [
			new StateWriteSource(this.tracker, loaded.initialized ? loaded.shape : undefined),
			this.writes,
			this.schedules,
			this.connRecords,
		];
		if (this.history !== undefined) sources.push(this.history);
		this.sources = sources;
		this.writer = new ActorWriter(this);
	}

	get queue(): QueueManager {
		this.#queue ??= this.#makeQueue(emptyQueue(this.#queueSeq));
		return this.#queue;
	}

	get queueIfMade(): QueueManager | undefined {
		return this.#queue;
	}

	async loadQueue(store: ActorStore, actorId: string): Promise<void> {
		const stored = await loadStoredQueue(store, actorId);
		if (stored.messages.length > 0 || stored.deadLetters > 0) this.#queue = this.#makeQueue(stored);
		else this.#queueSeq = stored.nextSeq;
	}

	#makeQueue(stored: StoredQueue): QueueManager {
		const queue = new QueueManager(
			this.core,
			this.writes,
			this.host.deps.definition.config.queues,
			stored,
			isRunProvider(this.host.deps.definition.config.run),
		);
		queue.onChange(this.schedules);
		return queue;
	}

	afterTurn(): void {
		if (this.host.status === "stopped") return;
		this.stateChange.run(this.context);
		this.sync?.afterTurn();
		if (this.writer.hasPendingWrites) this.writer.writesChanged();
		this.activity.maybeIdle();
	}

	/** Throws `actor/stopping` (the runtime's refusal: see stopping-refusal.ts) unless awake. */
	assertAwake(): void {
		if (this.host.status !== "awake") throw stoppingRefusal();
	}

	/** A connection's state could not be stored: it keeps the actor awake now. */
	unpersisted(conn: ConnectionImpl): void {
		this.hub.unpersisted(conn);
	}

	/** The connection timers fire their actions on. */
	internalConn(): ConnectionImpl {
		this.#internalConn ??= new ConnectionImpl(
			this.hub,
			`internal-${randomId(8)}`,
			undefined,
			undefined,
			undefined,
		);
		return this.#internalConn;
	}

	/**
	 * When the actor must be woken for its `run` loop: while the loop has
	 * stored messages to consume, the alarm says "now", so after a crash the
	 * restarted server wakes the actor for them. A graceful sleep drops that
	 * part, so an idle loop is not woken again.
	 */
	queueWakeAt(): number | undefined {
		const hasRun = this.host.deps.definition.config.run !== undefined;
		const queued =
			hasRun && this.host.status !== "stopping" ? this.#queue?.oldestCreatedAt : undefined;
		// A message held back after a failed run is due later: a sleep must not forget it (it
		// waited for whatever woke the actor next, a review).
		const held = hasRun ? this.#queue?.heldUntil : undefined;
		let at: number | undefined;
		for (const time of [queued, this.host.runs?.wakeAt, held])
			if (time !== undefined) at = at === undefined ? time : Math.min(at, time);
		return at;
	}
}

/** The change hook of the write sources (its own function: the constructor keeps no context alive). */
function outsideTurnHook(actor: AssembledActor): () => void {
	return () => {
		queueMicrotask(() => {
			const status = actor.host.status;
			if (actor.activity.activeTurns === 0 && status !== "stopped" && status !== "starting")
				actor.afterTurn();
		});
	};
}

function turnHistoryOf(actor: AssembledActor): TurnHistory {
	const { deps } = actor.host;
	return new TurnHistory({
		limit: deps.options.turnHistory,
		clock: deps.clock,
		rawState: () => actor.tracker.raw,
		changeCount: () => actor.tracker.changeCount,
	});
}

function sharedStateOf(
	actor: AssembledActor,
	share: Exclude<AnyActorDefinition["config"]["shareState"], undefined | false>,
): SharedStateSync {
	return new SharedStateSync({
		share,
		rawState: () => actor.tracker.raw,
		changeCount: () => actor.tracker.changeCount,
		subscribers: () => actor.hub.subscribersOf(STATE_EVENT),
		send: (conn, message) => actor.syncFrames.send(conn, STATE_EVENT, message, "state"),
		broadcast: (message, skip) => actor.syncFrames.broadcast(STATE_EVENT, message, "state", skip),
		log: () => actor.host.log,
	});
}

function presenceOf(actor: AssembledActor, options: PresenceOptions): Presence {
	return new Presence({
		options,
		clock: actor.host.deps.clock,
		subscribers: () => actor.hub.subscribersOf(PRESENCE_EVENT),
		connections: () => actor.hub.conns.values(),
		slotOf: (conn) => (conn.transport instanceof ConnSocket ? conn.transport : undefined),
		send: (conn, payload) => actor.syncFrames.send(conn, PRESENCE_EVENT, payload, "presence"),
		broadcast: (entry) => actor.syncFrames.broadcast(PRESENCE_EVENT, entry, "presence"),
		publicError: (error, where) => actor.core.publicError(error, where),
	});
}
