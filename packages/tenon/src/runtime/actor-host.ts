import type { AnyActorDefinition } from "../actor/definition.js";
import type { ResolvedActorOptions } from "../actor/options.js";
import { isActorId } from "../common/ids.js";
import { noopMetrics } from "../observability/metrics.js";
import { ActorError, errors } from "../protocol/errors.js";
import { CommitPipeline } from "../storage/commit-pipeline.js";
import type { ActorRecord, ClusterMembership } from "../storage/interfaces.js";
import { ActorCreation } from "./actor-creation.js";
import { ActorInstance, type InstanceEvents } from "./actor-instance.js";
import { destroyStoredActor, isWakeFailure } from "./actor-steps.js";
import type { ActorTarget } from "./actor-target.js";
import {
	type ActorHostOptions,
	type ActorType,
	declaresQueue,
	prepareActorType,
	type TypeNode,
	typesOf,
} from "./actor-types.js";
import { AlarmScheduler } from "./alarm-scheduler.js";
import { makeRoom } from "./awake-room.js";
import { type Caller, callerWithParams } from "./caller.js";
import type { ConnectionLinks } from "./connections/links.js";
import { SocketRegistry } from "./connections/socket-registry.js";
import { FailedCreations } from "./failed-creations.js";
import { holdingPlace, type Slot, slotStats, slotTransitions } from "./host-slots.js";
import { SleepScheduler } from "./sleep-scheduler.js";
import { WakePacer } from "./wake-pacer.js";

/** Actors that start waking in one turn of the event loop, at most (see WakePacer). */
const WAKES_PER_TURN = 16;

/**
 * The actors awake on this node. Resolves names and keys to actors, wakes
 * them on demand (once, even under concurrent requests), and sleeps them all
 * on shutdown.
 */
export class ActorHost {
	readonly #options: ActorHostOptions;
	readonly #types = new Map<string, ActorType>();
	readonly #slots = new Map<string, Slot>();
	/** Creating actors, and undoing refused callers' creations. */
	readonly creations: ActorCreation;
	readonly #failedCreations: FailedCreations;
	readonly pipeline: CommitPipeline;
	/** The client sockets this node holds (connections hibernate in them while their actors sleep). */
	readonly sockets: SocketRegistry;
	readonly #alarms: AlarmScheduler;
	/** The sleep countdowns of the awake actors, on one timer. */
	readonly #sleeps: SleepScheduler;
	#shuttingDown = false;
	/** Actors whose lease was lost while they were starting. */
	readonly #lostWhileStarting = new Set<string>();
	/** In a cluster: this node's membership (leases). */
	readonly #cluster: ClusterMembership | undefined;
	readonly #wakes = new WakePacer(WAKES_PER_TURN);
	/** In a cluster: how connections reach across nodes (set once the node serves). */
	#links: ConnectionLinks | undefined;
	/** What the host learns of every instance (one object for all). */
	readonly #events: InstanceEvents = {
		onStopped: (instance) => this.#stopped(instance),
		// Later requests wait for it to stop (instanceFor), then wake the actor again.
		onStartAbandoned: (instance) => this.#slots.set(instance.actorId, { instance }),
	};

	constructor(options: ActorHostOptions) {
		this.#options = options;
		this.#cluster = options.storage.cluster;
		const metrics = options.metrics ?? noopMetrics;
		this.pipeline = new CommitPipeline(options.storage.store, metrics);
		this.#sleeps = new SleepScheduler(options.clock);
		this.creations = new ActorCreation({
			options,
			type: (name) => this.#type(name),
			instanceOf: (actorId) => {
				const slot = this.#slots.get(actorId);
				return slot === undefined ? undefined : "instance" in slot ? slot.instance : slot.starting;
			},
		});
		this.#failedCreations = new FailedCreations({
			slots: this.#slots,
			storage: options.storage,
			logger: options.logger,
			creations: this.creations,
			destroyStored: (record) => this.#destroyStored(record),
		});
		this.sockets = new SocketRegistry({
			wake: async (actorId) => {
				await this.instanceFor(await this.getLiveRecord(actorId));
			},
			isAwake: (actorId) => this.awakeInstance(actorId) !== undefined,
			links: () => this.#links,
			log: options.logger,
			exposeInternalErrors: options.exposeInternalErrors,
			maxHeldPerSocket: options.limits.maxInFlightActionsPerConnection,
			maxHeldRawBytesPerSocket: Math.max(1024 * 1024, options.limits.maxRawWebSocketMessageBytes),
		});
		this.#alarms = new AlarmScheduler(
			options.storage.alarms,
			options.clock,
			{
				isAwake: (actorId) => this.#slots.has(actorId),
				wake: async (actorId) => {
					const record = await this.getLiveRecord(actorId);
					await this.instanceFor(record);
				},
			},
			options.logger,
			options.storage.cluster ? (options.alarmPollMs ?? 1_000) : undefined,
		);
		// Leases this node lost (it was paused or cut off past their expiry): the
		// actors live elsewhere now, so drop the local copies.
		options.storage.cluster?.onLeasesLost((actorIds) => {
			for (const actorId of actorIds) {
				const slot = this.#slots.get(actorId);
				if (slot !== undefined && "instance" in slot) slot.instance.drop("lease lost");
				// Still waking: dropped once awake (it was served, unrenewed, for good: a review).
				else if (slot !== undefined) this.#lostWhileStarting.add(actorId);
			}
		});
		const node: TypeNode = {
			options,
			metrics,
			pipeline: this.pipeline,
			sockets: this.sockets,
			sleeps: this.#sleeps,
			links: () => this.#links,
			notifyAlarm: (at) => this.#alarms.notify(at),
		};
		for (const [name, definition] of Object.entries(options.definitions))
			this.#types.set(name, prepareActorType(name, definition, node));
	}

	/** An instance has stopped: its slot goes, and what it left (a due alarm, held input) is looked at. */
	#stopped(instance: ActorInstance): void {
		const current = this.#slots.get(instance.actorId);
		if (current !== undefined && "instance" in current && current.instance === instance) {
			this.#slots.delete(instance.actorId);
		}
		// Asleep now: if its stored alarm is due (it was reset, or stopped
		// while busy), the scheduler must look at it again.
		if (this.#shuttingDown) return;
		void this.#options.storage.alarms.get(instance.actorId).then(
			(at) => at !== undefined && this.#alarms.notify(at),
			() => {},
		);
		// Input that arrived on its hibernating connections while it stopped wakes it again.
		this.sockets.actorStopped(instance.actorId);
	}

	/** Lets connections reach across the cluster (the registry sets this when a cluster node serves). */
	setLinks(links: ConnectionLinks): void {
		this.#links = links;
	}

	/** Names of the registered actors. */
	get actorNames(): string[] {
		return [...this.#types.keys()];
	}

	/** Whether `action` (dotted for a group's) is an action of type `name`, or of any type. */
	hasAction(name: string | undefined, action: string): boolean {
		return typesOf(this.#types, name).some((type) => type.actions.has(action));
	}

	/** Whether `queue` is a queue type `name` declares, or any type does. */
	hasQueue(name: string | undefined, queue: string): boolean {
		return typesOf(this.#types, name).some((type) => declaresQueue(type, queue));
	}

	/** Whether `name` is a registered actor type. */
	hasType(name: string): boolean {
		return this.#types.has(name);
	}

	/** Number of awake (or waking) actors. */
	get awakeCount(): number {
		return this.#slots.size;
	}

	/** Counts of actors by phase (for introspection and the test kit). */
	stats(): { awake: number; starting: number; stopping: number } {
		return slotStats(this.#slots.values());
	}

	/** The awake instances (for metrics, read when scraped). */
	*awakeInstances(): Iterable<ActorInstance> {
		for (const slot of this.#slots.values())
			if ("instance" in slot && slot.instance.status === "awake") yield slot.instance;
	}

	/** Promises that settle when the actors now waking or stopping have finished doing so. */
	transitions(): Promise<unknown>[] {
		return slotTransitions(this.#slots.values());
	}

	/** True once shutdown began. */
	get shuttingDown(): boolean {
		return this.#shuttingDown;
	}

	/** The definition registered under `name` (throws `actor/not_found` style errors if none). */
	definition(name: string): AnyActorDefinition {
		return this.#type(name).definition;
	}

	/** The resolved options of the actors registered under `name`. */
	options(name: string): ResolvedActorOptions {
		return this.#type(name).options;
	}

	#type(name: string): ActorType {
		const type = this.#types.get(name);
		if (type === undefined) throw errors.unknownActorName(name);
		return type;
	}

	#assertRunning(): void {
		if (this.#shuttingDown) throw errors.shuttingDown();
	}

	/**
	 * Resolves a target to a live actor record in `namespace` (creating it for
	 * `getOrCreate`, after the actor's `onBeforeCreate` accepts `caller`).
	 */
	async resolve(
		namespace: string,
		target: ActorTarget,
		caller: Caller = callerWithParams(undefined),
	): Promise<{ record: ActorRecord; created: boolean }> {
		this.#assertRunning();
		if (target.kind === "id") {
			return { record: await this.getLiveRecord(target.actorId, namespace), created: false };
		}
		this.#type(target.name);
		if (target.method === "get") {
			const record = await this.#options.storage.directory.getByKey(
				namespace,
				target.name,
				target.key,
			);
			if (record === undefined) throw errors.actorNotFound({ name: target.name, key: target.key });
			return { record, created: false };
		}
		return this.create(namespace, target.name, target.key, target.input, false, caller);
	}

	/** The awake instance for a target, resolving and waking as needed. */
	async instanceForTarget(
		namespace: string,
		target: ActorTarget,
		caller?: Caller,
	): Promise<ActorInstance> {
		return (await this.instanceForCall(namespace, target, caller)).instance;
	}

	/**
	 * The awake instance for a target, and whether this call created the
	 * actor (so a caller its hooks then refuse can undo the creation).
	 */
	async instanceForCall(
		namespace: string,
		target: ActorTarget,
		caller?: Caller,
	): Promise<{ instance: ActorInstance; created: boolean }> {
		if (target.kind === "id") {
			// Hot path: an awake actor addressed by id needs no directory read.
			const awake = this.awakeInstance(target.actorId);
			if (awake !== undefined) {
				if (awake.namespace !== namespace) throw errors.actorNotFound({ actorId: target.actorId });
				return { instance: awake, created: false };
			}
		}
		for (let tries = 1; ; tries++) {
			const { record, created } = await this.resolve(namespace, target, caller);
			try {
				return { instance: await this.instanceFor(record), created };
			} catch (error) {
				// Destroyed after getOrCreate found it by key (answered not_found: a probe): key free.
				const again = target.kind === "key" && target.method === "getOrCreate" && tries < 3;
				const gone = error instanceof ActorError && error.group === "actor";
				if (!again || !gone || error.code !== "not_found") throw error;
			}
		}
	}

	/**
	 * A live (not destroyed) record by id, or `actor/not_found`. With
	 * `namespace`, an actor of another namespace is not found either.
	 */
	async getLiveRecord(actorId: string, namespace?: string): Promise<ActorRecord> {
		if (!isActorId(actorId)) throw errors.actorNotFound({ actorId });
		const record = await this.#options.storage.directory.getById(actorId);
		if (record === undefined) throw errors.actorNotFound({ actorId });
		if (namespace !== undefined && record.namespace !== namespace)
			throw errors.actorNotFound({ actorId });
		if (record.destroyedAt !== undefined)
			throw errors.actorNotFound({ actorId, destroyedAt: record.destroyedAt });
		return record;
	}

	/**
	 * Creates an actor, or returns the live one holding the key. With
	 * `failIfExists`, an existing key is `actor/duplicate_key`. `answers`: a
	 * REST create, which tells its caller of an existing actor (it claims it).
	 */
	create(
		namespace: string,
		name: string,
		key: string[],
		input: Uint8Array | undefined,
		failIfExists: boolean,
		caller: Caller = callerWithParams(undefined),
		answers = false,
	): Promise<{ record: ActorRecord; created: boolean }> {
		this.#assertRunning();
		return this.creations.create(namespace, name, key, input, failIfExists, caller, answers);
	}

	/** Live actors of one name, by id, for listing. */
	listActors(
		namespace: string,
		name: string,
		limit: number,
		afterActorId?: string,
	): Promise<ActorRecord[]> {
		this.#type(name);
		return this.#options.storage.directory.list(namespace, name, {
			limit,
			...(afterActorId === undefined ? {} : { afterActorId }),
		});
	}

	/** The awake instance of an actor, waking it if needed. */
	async instanceFor(record: ActorRecord): Promise<ActorInstance> {
		for (;;) {
			this.#assertRunning();
			const slot = this.#slots.get(record.actorId);
			if (slot === undefined) {
				const started = await this.#start(record);
				// Dropped as it woke (its lease lost meanwhile): found again, or elsewhere.
				if (started.status === "awake" || this.#cluster === undefined) return started;
				continue;
			}
			if ("starting" in slot) {
				await slot.starting;
				continue;
			}
			if (slot.instance.status === "awake") return slot.instance;
			await slot.instance.stopped;
			// It may have been destroyed meanwhile: never wake it from the record
			// read before (that would create an empty actor under a dead id).
			record = await this.getLiveRecord(record.actorId);
		}
	}

	/** The instance if it is awake right now (no wake). */
	awakeInstance(actorId: string): ActorInstance | undefined {
		// In a cluster whose lease renewals are late, nothing local is served: the
		// actors are dropped (see ClusterMembership.leasesCurrent).
		if (this.#cluster !== undefined && !this.#cluster.leasesCurrent()) return undefined;
		const slot = this.#slots.get(actorId);
		return slot !== undefined && "instance" in slot && slot.instance.status === "awake"
			? slot.instance
			: undefined;
	}

	async #start(record: ActorRecord): Promise<ActorInstance> {
		let instance: ActorInstance | undefined;
		try {
			instance = await this.#wake(record);
			return instance;
		} catch (error) {
			// Decided as it failed: a REST create that answered with it meanwhile claimed it. Not in
			// a cluster (another node's REST create claims it there, unseen here), nor once the
			// node shuts down.
			if (
				isWakeFailure(error) &&
				this.#cluster === undefined &&
				!this.#shuttingDown &&
				this.creations.unclaimedNew(record.actorId)
			)
				await this.#failedCreations.undo(record);
			throw error;
		} finally {
			this.creations.woke(record.actorId, instance);
		}
	}

	async #wake(record: ActorRecord): Promise<ActorInstance> {
		const type = this.#type(record.name);
		makeRoom(
			this.#slots.values(),
			this.#slots.size,
			this.#options.limits.maxAwakeActors,
			this.#options.logger,
		);
		// Paced: a burst of wake-ups is spread over the loop's turns (wake-pacer.ts).
		const starting = this.#wakes.run(async () => {
			this.#assertRunning();
			return ActorInstance.start(type.instanceDeps, record, this.#events);
		});
		this.#slots.set(record.actorId, { starting });
		this.#lostWhileStarting.delete(record.actorId);
		try {
			const instance = await starting;
			if (instance.status === "awake") this.#slots.set(record.actorId, { instance });
			if (this.#lostWhileStarting.delete(record.actorId)) instance.drop("lease lost");
			return instance;
		} catch (error) {
			this.#lostWhileStarting.delete(record.actorId);
			// Unless the failed instance holds the place until its last commit lands.
			const slot = this.#slots.get(record.actorId);
			if (slot !== undefined && "starting" in slot && slot.starting === starting)
				this.#slots.delete(record.actorId);
			throw error;
		}
	}

	/** Destroys an actor (waking it so `onDestroy` runs). With `namespace`, only one of that namespace. */
	async destroy(actorId: string, namespace?: string): Promise<void> {
		const record = await this.getLiveRecord(actorId, namespace);
		let instance: ActorInstance | undefined;
		// A wake that fails twice in a row: one that failed once (a flaky service its hooks
		// call) runs `onDestroy` when it wakes the second time (a review).
		for (let attempt = 0; instance === undefined; attempt++) {
			try {
				instance = await this.instanceFor(record);
			} catch (error) {
				if (!isWakeFailure(error)) throw error;
				if (attempt > 0) return this.#destroyUnwakeable(record);
			}
		}
		await instance.stop("destroy");
	}

	/**
	 * Destroys an actor whose wake fails (a `createState` that throws for its
	 * input, an `onWake` for its state), without its hooks: it could not be
	 * destroyed before 2026-11-27, and its key was taken for good (a review).
	 * Its place is held meanwhile, so nothing wakes it.
	 */
	async #destroyUnwakeable(record: ActorRecord): Promise<void> {
		const slot = this.#slots.get(record.actorId);
		// The failed instance keeps its place until what it sent has landed.
		if (slot !== undefined && "instance" in slot) await slot.instance.stopped;
		await holdingPlace(this.#slots, record.actorId, () => this.#destroyStored(record));
	}

	/** Marks the actor destroyed and deletes its data, with no instance (its place held). */
	async #destroyStored({ actorId }: ActorRecord): Promise<void> {
		const { storage, clock, logger } = this.#options;
		const fence = await storage.placement.acquire(actorId);
		try {
			await destroyStoredActor(actorId, fence, storage.directory, this.pipeline, clock);
		} finally {
			await storage.placement.release(actorId).catch(() => {});
		}
		logger.warn("destroyed an actor that could not wake, without its hooks", { actorId });
	}

	/** Starts waking actors for their alarms (timers that are or come due). */
	startAlarms(): Promise<void> {
		return this.#alarms.start();
	}

	/** Puts every awake actor to sleep (connections close with 1001) and waits for pending commits. */
	async shutdown(): Promise<void> {
		this.#shuttingDown = true;
		this.#alarms.stop();
		const stopping: Promise<void>[] = [];
		for (const slot of this.#slots.values()) {
			if ("starting" in slot) {
				stopping.push(slot.starting.then((instance) => instance.stop("shutdown")).catch(() => {}));
			} else {
				stopping.push(slot.instance.stop("shutdown"));
			}
		}
		await Promise.all(stopping);
		await this.#failedCreations.settled();
		// Every actor cancelled its countdown as it stopped; this drops the timer regardless.
		this.#sleeps.stop();
		// Hibernated connections close too; their clients reconnect and resume. Those linked to
		// an owner on another node say so: what they passed on may have run there.
		this.sockets.closeAll(1001, "core.shutting_down", "conn.link_ended");
		await this.pipeline.drain();
	}
}
