// How an awake actor's parts reach each other. Each part still gets only the
// narrow capabilities its deps interface names; what changed is how they are
// made: one small object per part whose methods live on a shared prototype
// and read the actor's parts when called, instead of an object literal with a
// closure per capability. An awake idle actor is mostly this wiring, and the
// literals cost about 3 KB of heap per actor (bench/heap-census.ts); an
// instance of these classes is one field.

import type { AnyActorDefinition } from "../actor/definition.js";
import type { FireInfo } from "../actor/schedule.js";
import type { Clock } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import type { ActorMetrics } from "../observability/metrics.js";
import { type TracedActor, traceCommitWait } from "../observability/tracing.js";
import type { ActorError } from "../protocol/errors.js";
import type { CommitPipeline } from "../storage/commit-pipeline.js";
import type { ActionImpl } from "./action-table.js";
import type { ActivityDeps, ActorActivity } from "./actor-activity.js";
import type { AssembledActor } from "./actor-assembly.js";
import type { CallDeps } from "./actor-calls.js";
import type { SurfaceParts } from "./actor-surface.js";
import type { ActorTurns, TurnDeps } from "./actor-turns.js";
import type { ActorWriter, ActorWriterOptions, WriteSource } from "./actor-writer.js";
import type { ConnWriteSource } from "./connections/conn-records.js";
import type { ConnectionImpl } from "./connections/connection.js";
import type { ConnectionHooks, ConnectionHub, HubDeps } from "./connections/connection-hub.js";
import type { ConnectionLinks } from "./connections/links.js";
import type { Presence } from "./connections/presence.js";
import type { SharedStateSync } from "./connections/shared-state.js";
import type { SocketRegistry } from "./connections/socket-registry.js";
import { ActionContextImpl, type ActorContextImpl, type ContextHost } from "./context-impl.js";
import type { EventTap } from "./event-taps.js";
import type { KvImpl } from "./kv-impl.js";
import type { QueueManager } from "./queue-manager.js";
import type { RawEndpointHost } from "./raw-endpoints.js";
import type { ScheduleManager } from "./schedule-manager.js";
import type { SleepScheduler } from "./sleep-scheduler.js";
import type { StateTracker } from "./state-tracker.js";
import type { TurnHistory } from "./turn-history.js";

/** What {@link ActorActivity} reaches of its actor. */
export class ActivityWiring implements ActivityDeps {
	readonly #actor: AssembledActor;
	constructor(actor: AssembledActor) {
		this.#actor = actor;
	}
	get clock(): Clock {
		return this.#actor.host.deps.clock;
	}
	get sleeps(): SleepScheduler {
		return this.#actor.host.deps.sleeps;
	}
	log(): Logger {
		return this.#actor.host.log;
	}
	get sleepTimeout(): number {
		return this.#actor.host.deps.options.sleepTimeout;
	}
	get noSleep(): boolean {
		return this.#actor.host.deps.options.noSleep;
	}
	// Connections that hibernate do not keep the actor awake; nor do hibernatable raw sockets.
	othersIdle(): boolean {
		const actor = this.#actor;
		return (
			actor.host.status === "awake" &&
			actor.hub.keepingAwake === 0 &&
			actor.calls.rawSocketsKeepingAwake === 0 &&
			!(actor.host.runs?.busy ?? false) &&
			!actor.writer.hasPendingWrites
		);
	}
	onSettled(): void {
		this.#actor.afterTurn();
	}
	sleep(): void {
		void this.#actor.host.stop("sleep");
	}
}

/** What {@link ActorTurns} reaches of its actor. */
export class TurnWiring implements TurnDeps {
	readonly #actor: AssembledActor;
	constructor(actor: AssembledActor) {
		this.#actor = actor;
	}
	get actions(): ReadonlyMap<string, ActionImpl> {
		return this.#actor.host.deps.actions;
	}
	get argsSchemas(): TurnDeps["argsSchemas"] {
		return this.#actor.host.deps.definition.config.actionInputSchemas;
	}
	get onBeforeActionResponse(): TurnDeps["onBeforeActionResponse"] {
		return this.#actor.host.deps.definition.config.onBeforeActionResponse;
	}
	get clock(): Clock {
		return this.#actor.host.deps.clock;
	}
	get actionTimeout(): number {
		return this.#actor.host.deps.options.actionTimeout;
	}
	get history(): TurnHistory | undefined {
		return this.#actor.history;
	}
	get metrics(): ActorMetrics {
		return this.#actor.host.deps.metrics;
	}
	get traced(): TracedActor {
		return this.#actor.core.traced;
	}
	context(): ActorContextImpl {
		return this.#actor.context;
	}
	assertAwake(): void {
		this.#actor.assertAwake();
	}
	actionContext(
		conn: ConnectionImpl,
		fire: FireInfo | undefined,
		requestId: string | undefined,
	): ActionContextImpl {
		return new ActionContextImpl(this.#actor.surface, conn, fire, conn.request, requestId);
	}
	track<T>(promise: Promise<T>): Promise<T> {
		return this.#actor.activity.track(promise);
	}
	afterTurn(): void {
		this.#actor.afterTurn();
	}
	toRaw<T>(value: T): T {
		return this.#actor.tracker.toRaw(value);
	}
	outputGate(): Promise<void> {
		const actor = this.#actor;
		return actor.host.deps.metrics.timeOutputGate(
			traceCommitWait(() => actor.writer.whenDurable(actor.core.outputGeneration())),
			"http",
		);
	}
	publicError(error: unknown, where: string, requestId?: string): ActorError {
		return this.#actor.core.publicError(error, where, requestId);
	}
}

/** What {@link ActorSurface} (what user code sees) reaches of its actor. */
export class SurfaceWiring implements SurfaceParts {
	readonly #actor: AssembledActor;
	constructor(actor: AssembledActor) {
		this.#actor = actor;
	}
	get actorId(): string {
		return this.#actor.host.record.actorId;
	}
	get name(): string {
		return this.#actor.host.record.name;
	}
	get key(): readonly string[] {
		return this.#actor.host.key;
	}
	abortSignal(): AbortSignal {
		return this.#actor.host.abortSignal;
	}
	log(): Logger {
		return this.#actor.host.log;
	}
	hub(): ConnectionHub {
		return this.#actor.hub;
	}
	kv(): KvImpl {
		return this.#actor.kv;
	}
	queue(): QueueManager {
		return this.#actor.queue;
	}
	schedules(): ScheduleManager {
		return this.#actor.schedules;
	}
	eventTap(): EventTap | undefined {
		return this.#actor.host.deps.inspection?.eventTap(this.actorId);
	}
	outputSent(): Promise<void> {
		const actor = this.#actor;
		return actor.writer.whenDurable(actor.core.outputGeneration());
	}
	tracker(): StateTracker {
		return this.#actor.tracker;
	}
	activity(): ActorActivity {
		return this.#actor.activity;
	}
	writer(): ActorWriter {
		return this.#actor.writer;
	}
	createClient(): unknown {
		return this.#actor.host.deps.createClient();
	}
	stop(kind: "sleep" | "destroy"): void {
		void this.#actor.host.stop(kind);
	}
}

/** What {@link ConnectionHub} reaches of its actor. */
export class HubWiring implements HubDeps {
	readonly #actor: AssembledActor;
	constructor(actor: AssembledActor) {
		this.#actor = actor;
	}
	get core(): AssembledActor["core"] {
		return this.#actor.core;
	}
	get hooks(): ConnectionHooks {
		return this.#actor.host.deps.definition.config;
	}
	get context(): unknown {
		return this.#actor.context;
	}
	checkContext(conn: ConnectionImpl): ActionContextImpl {
		return new ActionContextImpl(this.#actor.surface, conn, undefined);
	}
	get sockets(): SocketRegistry {
		return this.#actor.host.deps.sockets;
	}
	get records(): ConnWriteSource {
		return this.#actor.connRecords;
	}
	running(): boolean {
		return this.#actor.host.status !== "stopped";
	}
	get nodeId(): string | undefined {
		return this.#actor.host.deps.links?.nodeId;
	}
	get links(): ConnectionLinks | undefined {
		return this.#actor.host.deps.links;
	}
	get sync(): SharedStateSync | undefined {
		return this.#actor.sync;
	}
	get presence(): Presence | undefined {
		return this.#actor.presence;
	}
}

/** What {@link ActorCalls} (calls from outside) reach of their actor. */
export class CallWiring implements CallDeps {
	readonly #actor: AssembledActor;
	constructor(actor: AssembledActor) {
		this.#actor = actor;
	}
	get core(): RawEndpointHost {
		return this.#actor.core;
	}
	get contexts(): ContextHost {
		return this.#actor.surface;
	}
	get config(): AnyActorDefinition["config"] {
		return this.#actor.host.deps.definition.config;
	}
	get clock(): Clock {
		return this.#actor.host.deps.clock;
	}
	get connectTimeout(): number {
		return this.#actor.host.deps.options.connectTimeout;
	}
	get hub(): ConnectionHub {
		return this.#actor.hub;
	}
	get records(): ConnWriteSource {
		return this.#actor.connRecords;
	}
	get sockets(): SocketRegistry {
		return this.#actor.host.deps.sockets;
	}
	get hibernateConnections(): boolean {
		return this.#actor.host.deps.options.hibernateConnections;
	}
	get turns(): ActorTurns {
		return this.#actor.turns;
	}
	get queue(): QueueManager {
		return this.#actor.queue;
	}
	assertAwake(): void {
		this.#actor.assertAwake();
	}
	track<T>(promise: Promise<T>): Promise<T> {
		return this.#actor.activity.track(promise);
	}
}

/** What {@link ActorWriter} reaches of its actor. */
export class WriterWiring implements ActorWriterOptions {
	readonly #actor: AssembledActor;
	readonly sources: readonly WriteSource[];
	constructor(actor: AssembledActor, sources: readonly WriteSource[]) {
		this.#actor = actor;
		this.sources = sources;
	}
	get actorId(): string {
		return this.#actor.host.record.actorId;
	}
	get fence(): number {
		return this.#actor.host.fence;
	}
	get pipeline(): CommitPipeline {
		return this.#actor.host.deps.pipeline;
	}
	get durability(): "strict" | "relaxed" {
		return this.#actor.host.deps.options.durability;
	}
	get saveIntervalMs(): number {
		return this.#actor.host.deps.options.stateSaveInterval;
	}
	get clock(): Clock {
		return this.#actor.host.deps.clock;
	}
	onFailure(error: unknown): void {
		this.#actor.host.reset(error);
	}
	onDurable(generation: number, alarm: number | null | undefined): void {
		const actor = this.#actor;
		const { deps } = actor.host;
		actor.hub.release(generation);
		if (alarm !== undefined) deps.onAlarmCommitted(actor.host.record.actorId, alarm);
		deps.inspection?.committed(actor.host.record.actorId);
		// Writes are collected when the commit is sent: idleness may have changed.
		actor.activity.maybeIdle();
	}
}
