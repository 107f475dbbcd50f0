import type { AnyActorDefinition } from "../actor/definition.js";
import { DEFAULT_ACTOR_OPTIONS, type ResolvedActorOptions } from "../actor/options.js";
import { definedOnly } from "../common/defined.js";
import type { ActorMetrics, RuntimeMetrics } from "../observability/metrics.js";
import type { CommitPipeline } from "../storage/commit-pipeline.js";
import { type ActionImpl, buildActionTable } from "./action-table.js";
import type { ActorInstanceDeps } from "./actor-assembly.js";
import type { ActorHostOptions } from "./actor-host.js";
import type { ConnectionLinks } from "./connections/links.js";
import type { SocketRegistry } from "./connections/socket-registry.js";
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
