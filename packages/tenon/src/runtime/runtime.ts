import type { AnyActorDefinition } from "../actor/definition.js";
import { type Clock, systemClock } from "../common/clock.js";
import { definedOnly, type Settable } from "../common/defined.js";
import { defaultMaxConnections, defaultMaxSockets } from "../common/fd-limit.js";
import { createLogger, type Logger, moduleLogger } from "../common/logger.js";
import { noopMetrics, type RuntimeMetrics } from "../observability/metrics.js";
import { exposeInternalErrorsFromEnv } from "../protocol/errors.js";
import { DEFAULT_LIMITS, type Limits } from "../protocol/limits.js";
import type { ClusterMembership, StorageDriver, StorageHandles } from "../storage/interfaces.js";
import { ActorHost } from "./actor-host.js";
import { CommitWatchers } from "./commit-watchers.js";
import { EventTaps } from "./event-taps.js";
import { runtimeSampler } from "./metrics-sampler.js";
import { Readiness } from "./readiness.js";

/** Options of {@link Runtime.start}. */
export interface RuntimeOptions {
	definitions: Record<string, AnyActorDefinition>;
	storage: StorageDriver;
	clock?: Clock;
	logger?: Logger;
	limits?: Settable<Limits> | undefined;
	exposeInternalErrors?: boolean;
	/** Where the node's metrics go. Default: nowhere. */
	metrics?: RuntimeMetrics;
	/** Default of the actors' `turnHistory` option. */
	turnHistory?: number;
}

const ACTOR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

/** Storage, actor host and settings of one running node. */
export class Runtime {
	readonly host: ActorHost;
	readonly limits: Limits;
	readonly logger: Logger;
	readonly clock: Clock;
	readonly exposeInternalErrors: boolean;
	readonly storageName: string;
	/** Where the node's metrics go (nowhere without `/metrics`). */
	readonly metrics: RuntimeMetrics;
	/** Who follows which actor's commits (the inspector's live state). */
	readonly commits = new CommitWatchers();
	/** Who follows which actor's events (the inspector's event log). */
	readonly events: EventTaps;
	/** Whether this node should get traffic (`/ready`): its phase, storage and leases. */
	readonly readiness: Readiness;
	readonly #storage: StorageHandles;
	#stopping: Promise<void> | undefined;
	#clientFactory: ((callDepth: number) => unknown) | undefined;

	private constructor(options: RuntimeOptions, storage: StorageHandles, logger: Logger) {
		this.limits = {
			...DEFAULT_LIMITS,
			maxConnections: defaultMaxConnections(DEFAULT_LIMITS.maxConnections),
			maxSockets: defaultMaxSockets(),
			...definedOnly(options.limits),
		};
		this.logger = logger;
		this.clock = options.clock ?? systemClock;
		this.events = new EventTaps(this.clock);
		this.exposeInternalErrors = options.exposeInternalErrors ?? exposeInternalErrorsFromEnv();
		this.storageName = options.storage.name;
		this.metrics = options.metrics ?? noopMetrics;
		this.#storage = storage;
		this.readiness = new Readiness(storage, moduleLogger(logger, "server"));
		this.host = new ActorHost({
			definitions: options.definitions,
			storage,
			clock: this.clock,
			logger,
			limits: this.limits,
			exposeInternalErrors: this.exposeInternalErrors,
			...(options.turnHistory === undefined ? {} : { turnHistory: options.turnHistory }),
			inspection: {
				committed: (actorId) => this.commits.notify(actorId),
				eventTap: (actorId) => this.events.tap(actorId),
			},
			createClient: (callDepth) => {
				if (this.#clientFactory === undefined) {
					throw new Error("c.client() is not available: the runtime has no server attached");
				}
				return this.#clientFactory(callDepth);
			},
			...(options.metrics ? { metrics: options.metrics } : {}),
		});
		options.metrics?.sample(runtimeSampler(this.host, () => this.cluster));
	}

	/**
	 * Attaches the client factory for actor-to-actor calls (the registry
	 * provides one that talks to its server core in-process) and starts waking
	 * actors for their timers.
	 */
	async attach(clientFactory: (callDepth: number) => unknown): Promise<void> {
		this.#clientFactory = clientFactory;
		await this.host.startAlarms();
	}

	/** This node's cluster membership, when the storage driver is a cluster driver. */
	get cluster(): ClusterMembership | undefined {
		return this.#storage.cluster;
	}

	/** The opened storage (for inspection and tools; actors write through their instances). */
	get storage(): StorageHandles {
		return this.#storage;
	}

	/** Opens storage and prepares the actor host. */
	static async start(options: RuntimeOptions): Promise<Runtime> {
		for (const name of Object.keys(options.definitions)) {
			if (!ACTOR_NAME_PATTERN.test(name)) {
				throw new Error(
					`Actor name '${name}' must start with a letter or _ and use only letters, digits, _ and -`,
				);
			}
		}
		const logger = moduleLogger(options.logger ?? createLogger(), "runtime");
		const storage = await options.storage.open({ logger: moduleLogger(logger, "storage") });
		return new Runtime(options, storage, logger);
	}

	/** Sleeps every actor, waits for pending commits and closes storage. Idempotent. */
	stop(): Promise<void> {
		this.#stopping ??= (async () => {
			this.readiness.draining();
			await this.host.shutdown();
			await this.#storage.close();
			this.readiness.stopped();
		})();
		return this.#stopping;
	}
}
