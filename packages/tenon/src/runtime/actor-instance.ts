import type { RunRewind } from "../actor/run-host.js";
import type { ActorKeyList } from "../actor/types.js";
import { type Deferred, deferred } from "../common/deferred.js";
import { type Logger, moduleLogger } from "../common/logger.js";
import { withTimeout } from "../common/timeouts.js";
import { monotonicSeconds } from "../observability/metrics.js";
import { ActorError, errors } from "../protocol/errors.js";
import { type ActorRecord, OwnedElsewhereError } from "../storage/interfaces.js";
import {
	type ActorInstanceDeps,
	type ActorParts,
	type ActorStatus,
	type AssemblyHost,
	assembleActor,
} from "./actor-assembly.js";
import { type ActorRuns, startRuns } from "./actor-run-start.js";
import {
	ActorWakeIdentity,
	destroyActorData,
	runStopHook,
	runWakeSequence,
} from "./actor-steps.js";
import type { Caller } from "./caller.js";
import { CLOSE, type CloseKind } from "./connections/close-codes.js";
import { type ConnRecord, loadConnRecords } from "./connections/conn-records.js";
import { attachSockets, expireOrphans, restoreConnections } from "./connections/conn-restore.js";
import type { ConnSocket } from "./connections/conn-socket.js";
import { databaseHost } from "./database-host.js";
import { cancelTimerTurn, replaceStateTurn, type TurnOrigin } from "./inspector-turns.js";
import { type RewindRequest, rewindRun } from "./run-rewind.js";
import { type LoadedState, loadState } from "./state-loader.js";

export type { ActorInstanceDeps, ActorStatus } from "./actor-assembly.js";
export type { ResumeRequest } from "./connections/conn-opening.js";

/** Why an instance stops. */
export type StopKind = CloseKind;

/** What the host learns about its instances. */
export interface InstanceEvents {
	/** Called once the instance has fully stopped (or was reset). */
	onStopped(instance: ActorInstance): void;
	/**
	 * Its start failed, and it stops once a commit it had sent has landed:
	 * it holds its place until then (the request that woke it has its error).
	 */
	onStartAbandoned(instance: ActorInstance): void;
}

/**
 * One awake actor: its lifecycle from wake to sleep (or destroy). The parts
 * it is made of are built by {@link assembleActor}; what reaches user code
 * goes through its surface, what reaches it from outside through its calls
 * and its connection hub.
 */
export class ActorInstance implements AssemblyHost {
	// From its record in the directory, which is not kept: an awake actor holds
	// only these (its name and namespace are the copies every instance shares).
	readonly actorId: string;
	readonly name: string;
	/** The namespace the actor lives in (requests from other namespaces do not find it). */
	readonly namespace: string;
	readonly key: ActorKeyList;
	status: ActorStatus = "starting";
	/** What the instance was made with (its parts read it through {@link AssemblyHost}). */
	readonly deps: ActorInstanceDeps;
	readonly #events: InstanceEvents;
	/** Made on first use (most actors never ask for their abort signal). */
	#abort: AbortController | undefined;
	#halted = false;
	/** The instance has stopped and left its place ({@link stopped} resolved). */
	#ended = false;
	#releasing: Promise<void> | undefined;
	readonly #parts: ActorParts;
	#log: Logger | undefined;
	/** The `run` handler's loop (restarted when it fails); undefined without one. */
	#runs: ActorRuns | undefined;
	#stopping: Promise<void> | undefined;
	/** A creation undone (see destroyIfUnclaimed): its directory record goes with its data. */
	#undone = false;
	/** Made when someone first waits for the stop (most actors are never waited for). */
	#stopWaiters: Deferred<void> | undefined;
	/** The write fence this instance holds (its lease epoch in a cluster). */
	readonly fence: number;

	private constructor(
		deps: ActorInstanceDeps,
		record: ActorRecord,
		events: InstanceEvents,
		fence: number,
		loaded: LoadedState,
	) {
		this.deps = deps;
		this.actorId = record.actorId;
		this.name = sharedCopy(record.name);
		this.namespace = sharedCopy(record.namespace);
		this.#events = events;
		this.fence = fence;
		this.key = Object.freeze([...record.key]);
		this.#parts = assembleActor(this, loaded);
	}

	/** The `run` handler's loop, once started (undefined without one). */
	get runs(): ActorRuns | undefined {
		return this.#runs;
	}

	/** The actor's logger (module `actor`), bound to its name, key and id (made on first use). */
	get log(): Logger {
		this.#log ??= this.deps.logger.child({
			module: "actor",
			actor: this.name,
			key: this.key,
			actorId: this.actorId,
		});
		return this.#log;
	}

	/**
	 * Loads an actor from storage and runs its wake sequence: its stored
	 * connections come back (those that hibernated on this node are open
	 * again), then (createState, onCreate for a new actor), createVars,
	 * onWake; then its timers and its `run` loop start, and held input on its
	 * sockets is handled.
	 */
	static async start(
		deps: ActorInstanceDeps,
		record: ActorRecord,
		events: InstanceEvents,
	): Promise<ActorInstance> {
		const wakeStartedAt = monotonicSeconds();
		// Found held elsewhere a moment ago: the request goes there without asking the database again.
		const known = deps.storage.cluster?.knownOwner?.(record.actorId);
		if (known !== undefined) throw new OwnedElsewhereError(record.actorId, known);
		const fence = await deps.storage.placement.acquire(record.actorId);
		const loaded = await loadState(deps.storage.store, record.actorId);
		const instance = new ActorInstance(deps, record, events, fence, loaded);
		const p = instance.#parts;
		try {
			const store = deps.storage.store;
			await p.history?.load(store, instance.actorId);
			// A new actor has nothing else stored: its first commit writes its state's
			// metadata together with everything else it wrote. No reads for it.
			let records: ReadonlyMap<string, ConnRecord> = new Map();
			if (loaded.initialized) {
				await p.loadQueue(store, instance.actorId);
				await p.schedules.load(store, instance.actorId);
				records = await loadConnRecords(store, instance.actorId, () => instance.log);
			}
			restoreConnections(p.hub, records, (record) => p.calls.persistence(record));
			p.calls.restoreRawSockets(records);
			const database = deps.definition.config.db;
			if (database)
				p.surface.database = await database.open(
					databaseHost(
						instance.actorId,
						moduleLogger(instance.log, "db"),
						deps.clock,
						p.writes,
						deps.options,
					),
				);
			await withTimeout(instance.#wake(loaded), deps.clock, deps.options.wakeTimeout, () =>
				errors.hookTimedOut("wake", deps.options.wakeTimeout),
			);
		} catch (error) {
			instance.#abandon(error);
			// Its place is kept until what waking sent to the store has landed.
			if (!instance.#ended) events.onStartAbandoned(instance);
			throw error;
		}
		instance.status = "awake";
		const wokeIn = monotonicSeconds() - wakeStartedAt;
		deps.metrics.actorWoke(instance.actorId, wokeIn);
		// In the same step as becoming awake: input held while it slept goes first.
		attachSockets(p.hub);
		// The host's logger: the actor's own (a child with its fields) is made on first use, and
		// every wake would make it for a line that is usually dropped.
		deps.logger.debug("actor woke", {
			actor: instance.name,
			actorId: instance.actorId,
			ms: Math.round(wokeIn * 1e4) / 10,
			restored: p.hub.size,
			awaitingResume: p.hub.orphans.size,
		});
		p.calls.attachRawSockets();
		expireOrphans(p.hub, deps.options.connectionResumeTimeout);
		p.schedules.start();
		instance.#runs = startRuns(instance, p);
		// Commit what waking wrote (a new actor's state) unless the request that
		// woke the actor commits it first, together with its own writes.
		setImmediate(() => {
			if (instance.status === "awake" && p.activity.activeTurns === 0) p.writer.writesChanged();
		});
		p.activity.maybeIdle();
		return instance;
	}

	async #wake(loaded: LoadedState): Promise<void> {
		const p = this.#parts;
		await runWakeSequence(
			this.deps.definition.config,
			// Its logger is made only if `createState` asks for it: most wakes never log.
			new ActorWakeIdentity(this),
			loaded,
			p.tracker,
			p.context,
			() => this.deps.storage.directory.readInput(this.actorId),
			(vars) => p.surface.setVars(vars),
		);
		// Establishing state on wake is not a change for onStateChange.
		p.stateChange.settle();
	}

	/** Replaces the state as a turn of its own, recorded with `origin` (the inspector's edits). */
	replaceState(
		next: unknown,
		origin: TurnOrigin,
		check?: (current: unknown) => void,
	): Promise<void> {
		return replaceStateTurn(this.#parts, next, origin, check);
	}

	/** Halts the run provider (a workflow), rewinds it in a turn of its own and starts it again. */
	rewindRun(request: RewindRequest): Promise<RunRewind> {
		return rewindRun(
			this.#parts,
			this.#runs,
			this.deps.definition.config.run,
			() => this.abortSignal.aborted,
			request,
		);
	}

	/** Cancels a one-shot timer as a turn of its own (the inspector's cancel); false if none. */
	cancelTimer(id: string): Promise<boolean> {
		return cancelTimerTurn(this.#parts, id);
	}

	/** The calls that reach the actor from outside: HTTP actions, queue sends, raw requests and sockets. */
	get calls(): ActorParts["calls"] {
		return this.#parts.calls;
	}

	/** When the actor last started a unit of work (for least-recently-used eviction). */
	get lastActiveAt(): number {
		return this.#parts.activity.lastActiveAt;
	}

	/** True while work runs: a turn, a `keepAwake` promise or a busy `run` loop. */
	get busy(): boolean {
		return this.#parts.activity.working || (this.#runs?.busy ?? false);
	}

	/** Open connections: realtime ones and raw WebSockets. */
	get connectionCount(): number {
		return this.#parts.core.connectionCount;
	}

	/** Messages and dead letters its queues hold (for metrics). */
	get queueSizes(): { queueDepth: number; deadLetters: number } {
		const queue = this.#parts.queueIfMade;
		return { queueDepth: queue?.size ?? 0, deadLetters: queue?.deadLetterCount ?? 0 };
	}

	/**
	 * Opens a realtime connection on `socket` (or resumes the one `resume`
	 * names); false when the actor refused it (the socket was answered and closed).
	 */
	openConnection(
		caller: Caller,
		socket: ConnSocket,
		resume: import("./connections/conn-opening.js").ResumeRequest | undefined,
	): Promise<boolean> {
		return this.#parts.calls.openConnection(caller, socket, resume);
	}

	// ---- Stopping ----------------------------------------------------------------------

	/**
	 * Destroys the actor unless a caller was accepted since it woke (or a
	 * connection is open): undoes a creation only while nobody else relies on
	 * the actor. Checked and started in one step, so no caller slips in.
	 */
	async destroyIfUnclaimed(): Promise<boolean> {
		if (
			this.status !== "awake" ||
			this.#parts.calls.acceptedCallers > 0 ||
			this.connectionCount > 0
		)
			return false;
		this.#undone = true;
		await this.stop("destroy");
		return true;
	}

	/**
	 * Stops the actor gracefully: new work is refused, in-flight work gets the
	 * grace period, then `onSleep` / `onDestroy`, connections hibernate (on
	 * sleep) or close, writes are made durable (or, on destroy, all data is deleted).
	 */
	stop(kind: StopKind): Promise<void> {
		if (this.#stopping) return this.#stopping;
		if (this.status !== "awake") return this.stopped;
		this.#stopping = this.#stop(kind);
		return this.#stopping;
	}

	async #stop(kind: StopKind): Promise<void> {
		const p = this.#parts;
		this.status = "stopping";
		// Input on connections that hibernate is held from now on; it wakes the actor again.
		if (kind === "sleep") {
			p.hub.suspend();
			p.calls.suspendRawSockets();
		}
		this.#halt();
		try {
			await p.activity.drain(this.deps.options.sleepGracePeriod, () => this.#runs?.active ?? false);
			p.queueIfMade?.closeReceivers();
			await runStopHook(
				this.deps.definition.config,
				kind,
				p.context,
				this.deps.clock,
				this.deps.options.sleepGracePeriod,
				() => this.log,
			);
			p.stateChange.run(p.context);
			p.queueIfMade?.answerSenders(kind === "destroy");
			// Right before the final save, after the stop hook, so that they are its last writes:
			// a receive in `onSleep` re-marked a queue whose life mark was cleared before it
			// (every later life then handed out carefully), and a workflow's mark deleted at the
			// stop's start was committed while its steps still ran (a review).
			p.queueIfMade?.stoppedCleanly();
			this.#runs?.writeFinal();
			// The final save also recomputes the alarm, now without the queue's part.
			p.schedules.alarmChanged();
			// Subscription changes waiting for their interval: hibernated connections keep them.
			p.connRecords.flushSubscriptions(kind === "destroy");
			if (kind === "destroy")
				await destroyActorData({
					actorId: this.actorId,
					fence: this.fence,
					directory: this.deps.storage.directory,
					commit: (item) => this.deps.pipeline.submit(item),
					writer: p.writer,
					clock: this.deps.clock,
					log: this.log,
					onAlarmCleared: () => this.deps.onAlarmCommitted(this.actorId, null),
					forget: this.#undone,
				});
			else await p.writer.flush();
		} catch (error) {
			this.log.error("stopping the actor failed; unsaved changes are lost", { error, kind });
			// Nothing says the connections' records are current: they close instead of hibernating.
			p.hub.dropAll();
			p.calls.closeRawSockets(undefined);
		} finally {
			p.queueIfMade?.answerSenders(kind === "destroy");
			const hibernated = kind === "sleep" ? p.hub.persistedCount : 0;
			p.hub.closeAll(kind);
			p.calls.closeRawSockets(kind);
			this.deps.logger.debug("actor stopped", {
				actor: this.name,
				actorId: this.actorId,
				as: kind,
				hibernated,
			});
			await this.#release(actorStopped);
			this.deps.metrics.actorStopped(this.actorId, kind);
			this.#stopped();
		}
	}

	/** Aborts when the actor stops (made on first use: most actors never ask). */
	get abortSignal(): AbortSignal {
		if (this.#abort === undefined) {
			this.#abort = new AbortController();
			if (this.#halted) this.#abort.abort();
		}
		return this.#abort.signal;
	}

	/** New work ends: the abort signal fires, the sleep timer, timers and the `run` loop stop. */
	#halt(): void {
		this.#halted = true;
		this.#abort?.abort();
		this.#parts.activity.stopTimer();
		this.#parts.schedules.close();
		this.#runs?.stop();
	}

	/**
	 * After the connections closed: the writer closes; once a commit it had
	 * already sent has landed (writes made while waking or stopping), the
	 * database closes and the lease goes. Until then the instance keeps its
	 * place, so the next one loads what that commit wrote. Once only (a
	 * commit failing while the actor stops resets it too).
	 */
	#release(writerError: () => unknown, waitForCommit = true): Promise<void> {
		this.#releasing ??= this.#closeStorage(writerError, waitForCommit);
		return this.#releasing;
	}

	async #closeStorage(writerError: () => unknown, waitForCommit: boolean): Promise<void> {
		const writer = this.#parts.writer;
		writer.close(writerError);
		if (waitForCommit) await writer.settled();
		try {
			this.#parts.surface.database?.close();
		} catch (error) {
			this.log.error("closing the actor's database failed", { error });
		}
		await this.deps.storage.placement.release(this.actorId).catch(() => {});
	}

	/** Resolves once the instance has stopped for any reason. */
	get stopped(): Promise<void> {
		if (this.#stopWaiters === undefined) {
			if (this.#ended) return Promise.resolve();
			this.#stopWaiters = deferred<void>();
		}
		return this.#stopWaiters.promise;
	}

	#stopped(): void {
		if (this.#ended) return;
		this.#ended = true;
		this.status = "stopped";
		this.#events.onStopped(this);
		this.#stopWaiters?.resolve(undefined);
	}

	/**
	 * This node no longer owns the actor (its lease was taken over): drop it
	 * at once, without hooks or writes (they would be fenced anyway).
	 * Connections close and clients reconnect to the new owner.
	 */
	drop(reason: string): void {
		if (this.status === "stopped") return;
		this.log.warn("dropping the actor", { reason });
		// Nothing to wait for: a commit still in flight is fenced by the new owner's lease.
		this.#abandon(
			// Not "moved to another node": a lone node whose database was away said so (2026-11-28).
			new ActorError("actor", "moved", `This node no longer serves the actor (${reason})`),
			false,
		);
	}

	/** A commit failed: drop everything in memory and stop at once; the next request re-wakes from storage. */
	reset(error: unknown): void {
		if (this.status === "stopped") return;
		this.log.error("commit failed; resetting the actor to its last durable state", { error });
		this.#abandon(error);
	}

	/** Stops without hooks or writes (failed start or failed commit). */
	#abandon(error: unknown, waitForCommit = true): void {
		// A wake that failed leaves the hibernated sockets it restored held, open: their
		// registry answers their input with the error, and their next message wakes the actor
		// again (docs/connections.md; they were closed with 1011 before, a probe, 2026-11-27).
		const waking = this.status === "starting";
		this.status = "stopped";
		this.#halt();
		this.#parts.queueIfMade?.close();
		// Moved (its lease lost, its writes fenced): a restart to its clients, who reconnect to
		// the new owner; they read 1011 core.internal_error before 2026-11-27 (a probe).
		const moved =
			error instanceof ActorError &&
			error.group === "actor" &&
			(error.code === "moved" || error.code === "fenced");
		if (moved) this.#parts.hub.dropAll(CLOSE.restart, "actor.moved");
		else this.#parts.hub.dropAll(undefined, undefined, waking);
		this.#parts.calls.closeRawSockets(moved ? "moved" : undefined, waking && !moved);
		this.deps.metrics.actorStopped(this.actorId, "dropped");
		// Its place goes once a commit it had sent has landed; the lease is let go after.
		const writer = this.#parts.writer;
		const reason = () => error;
		writer.close(reason);
		const settled = waitForCommit ? writer.settled() : Promise.resolve();
		void settled.then(() => {
			void this.#release(reason, false);
			this.#stopped();
		});
	}
}

/** One copy of each type name and namespace for all instances (bounded: there are few). */
const sharedCopies = new Map<string, string>();
function sharedCopy(value: string): string {
	const known = sharedCopies.get(value);
	if (known !== undefined) return known;
	if (sharedCopies.size < 1_024) sharedCopies.set(value, value);
	return value;
}

/** The error waits on a stopped actor's writer end with (a function: made only when one waits). */
const actorStopped = () => errors.actorStopped();
