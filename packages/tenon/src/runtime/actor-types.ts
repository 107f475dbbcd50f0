import type { AnyActorDefinition } from "../actor/definition.js";
import {
	DEFAULT_ACTOR_OPTIONS,
	type ResolvedActorOptions,
	unknownActorOptions,
} from "../actor/options.js";
import type { Clock } from "../common/clock.js";
import { definedOnly } from "../common/defined.js";
import type { Logger } from "../common/logger.js";
import type { ActorMetrics, RuntimeMetrics } from "../observability/metrics.js";
import type { Limits } from "../protocol/limits.js";
import type { CommitPipeline } from "../storage/commit-pipeline.js";
import type { StorageHandles } from "../storage/interfaces.js";
import { type ActionImpl, buildActionTable } from "./action-table.js";
import type { ActorInstanceDeps } from "./actor-assembly.js";
import type { ConnectionLinks } from "./connections/links.js";
import type { SocketRegistry } from "./connections/socket-registry.js";
import type { InspectionHooks } from "./event-taps.js";
import type { SleepScheduler } from "./sleep-scheduler.js";

/** A registered actor type, prepared once. */
export interface ActorType {
	definition: AnyActorDefinition;
	actions: ReadonlyMap<string, ActionImpl>;
	options: ResolvedActorOptions;
	metrics: ActorMetrics;
	/**
	 * What its instances get from the host: one object shared by all of them
	 * (an object per awake actor was about 200 bytes of its heap).
	 */
	instanceDeps: ActorInstanceDeps;
}

/** Options of `ActorHost`. */
export interface ActorHostOptions {
	definitions: Record<string, AnyActorDefinition>;
	storage: StorageHandles;
	/** In a cluster: how often to look for due alarms of any node's actors (ms). Default 1 000. */
	alarmPollMs?: number;
	clock: Clock;
	logger: Logger;
	limits: Limits;
	exposeInternalErrors: boolean;
	/** Default of the actors' `turnHistory` option (the registry's `inspector.turnHistory`). */
	turnHistory?: number;
	/** Commits and events of actors, for the inspector's live views. */
	inspection?: InspectionHooks;
	/** Creates the client actors use to call each other (`c.client()`), its calls `callDepth` deep. */
	createClient(callDepth: number): unknown;
	/** Where the node's metrics go. Default: nowhere ({@link noopMetrics}). */
	metrics?: RuntimeMetrics;
}

/** The type named `name` (none when unknown), or every type when `name` is undefined. */
export function typesOf(
	types: ReadonlyMap<string, ActorType>,
	name: string | undefined,
): ActorType[] {
	if (name === undefined) return [...types.values()];
	const type = types.get(name);
	return type === undefined ? [] : [type];
}

/** Whether `type` declares a queue named `queue`. */
export function declaresQueue(type: ActorType, queue: string): boolean {
	const queues = type.definition.config.queues as Record<string, unknown> | undefined;
	return queues !== undefined && Object.hasOwn(queues, queue);
}

/** What the node gives every actor type. */
export interface TypeNode {
	readonly options: ActorHostOptions;
	readonly metrics: RuntimeMetrics;
	readonly pipeline: CommitPipeline;
	readonly sockets: SocketRegistry;
	/** The node's sleep countdowns (one timer for all its actors). */
	readonly sleeps: SleepScheduler;
	/** In a cluster: how connections reach across nodes (set once the node serves, so read when used). */
	links(): ConnectionLinks | undefined;
	/** A committed alarm at `at` (ms) may be due before the scheduler's next look. */
	notifyAlarm(at: number): void;
}

/** Prepares actor type `name`: its action table, resolved options, metrics and instance deps. */
export function prepareActorType(
	name: string,
	definition: AnyActorDefinition,
	node: TypeNode,
): ActorType {
	const hostOptions = node.options;
	const actions = buildActionTable(
		definition.config.actions as Record<string, unknown> | undefined,
	);
	const options: ResolvedActorOptions = {
		...DEFAULT_ACTOR_OPTIONS,
		turnHistory: hostOptions.turnHistory ?? 0,
		...definedOnly(definition.config.options),
	};
	for (const unknown of unknownActorOptions(definition.config.options))
		hostOptions.logger.warn("an actor option Tenon does not know is ignored", {
			actor: name,
			option: unknown.name,
			...(unknown.closest === undefined ? {} : { didYouMean: unknown.closest }),
		});
	const metrics = node.metrics.forActor(name, actions);
	const instanceDeps: ActorInstanceDeps = {
		definition,
		actions,
		options,
		metrics,
		storage: hostOptions.storage,
		pipeline: node.pipeline,
		clock: hostOptions.clock,
		sleeps: node.sleeps,
		logger: hostOptions.logger,
		limits: hostOptions.limits,
		exposeInternalErrors: hostOptions.exposeInternalErrors,
		createClient: hostOptions.createClient,
		sockets: node.sockets,
		get links() {
			return node.links();
		},
		inspection: hostOptions.inspection,
		// An awake actor fires its own timers; a due alarm matters once it
		// sleeps, and then the host looks at it again when the actor stops.
		onAlarmCommitted: (_actorId, at) => {
			if (at !== null && at > hostOptions.clock.now()) node.notifyAlarm(at);
		},
	};
	return { definition, actions, options, metrics, instanceDeps };
}
