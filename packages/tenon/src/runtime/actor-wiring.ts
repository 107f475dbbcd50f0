// How an awake actor's parts reach each other. Each part still gets only the
// narrow capabilities its deps interface names; what changed is how they are
// made: one small object per part whose methods live on a shared prototype
// and read the actor's parts when called, instead of an object literal with a
// closure per capability. An awake idle actor is mostly this wiring, and the
// literals cost about 3 KB of heap per actor (bench/heap-census.ts); an
// instance of these classes is one field, and the four deps interfaces that
// share no name with another meaning are the assembly itself (ActorWiring).

import type { AnyActorDefinition } from "../actor/definition.js";
import type { FireInfo } from "../actor/schedule.js";
import type { Clock } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import type { ActorMetrics } from "../observability/metrics.js";
import { type TracedActor, traceCommitWait, tracingOn } from "../observability/tracing.js";
import type { ActorError } from "../protocol/errors.js";
import type { CommitPipeline } from "../storage/commit-pipeline.js";
import type { ActionImpl } from "./action-table.js";
import type { ActivityDeps, ActorActivity } from "./actor-activity.js";
import type { AssembledActor, AssemblyHost } from "./actor-assembly.js";
import type { ActorCalls, CallDeps } from "./actor-calls.js";
import type { ActorSurface, SurfaceParts } from "./actor-surface.js";
import type { ActorTurns, TurnDeps } from "./actor-turns.js";
import type { ActorWriter, ActorWriterOptions, WriteSource } from "./actor-writer.js";
import type { AssembledCore } from "./assembled-core.js";
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
import type { ScheduleManager } from "./schedule-manager.js";
import type { SleepScheduler } from "./sleep-scheduler.js";
import type { StateTracker } from "./state-tracker.js";
import type { TurnHistory } from "./turn-history.js";

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
	ranNow(): void {
		this.#actor.activity.ranNow();
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
	gateOpen(): boolean {
		const actor = this.#actor;
		if (tracingOn() || actor.core.outputGeneration() > actor.core.durableGeneration) return false;
		// What timeOutputGate records of a gate that is open: no wait.
		const metrics = actor.host.deps.metrics;
		if (metrics.records) metrics.outputGateWaited(0, "http");
		return true;
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
		return this.#actor.host.actorId;
	}
	get name(): string {
		return this.#actor.host.name;
	}
	get key(): readonly string[] {
		return this.#actor.host.key;
	}
	now(): number {
		return this.#actor.host.deps.clock.now();
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
	createClient(callDepth: number): unknown {
		return this.#actor.host.deps.createClient(callDepth);
	}
	stop(kind: "sleep" | "destroy"): void {
		void this.#actor.host.stop(kind);
	}
}

/**
 * What {@link ActorActivity}, {@link ConnectionHub}, {@link ActorCalls} and
 * {@link ActorWriter} reach of their actor: the assembly itself, whose class
 * extends this one (these four deps interfaces share no name with a
 * different meaning, and one object per actor fewer is four here). Each part
 * still sees only its own interface.
 */
export abstract class ActorWiring implements ActivityDeps, HubDeps, CallDeps, ActorWriterOptions {
	abstract readonly host: AssemblyHost;
	abstract readonly core: AssembledCore;
	abstract readonly activity: ActorActivity;
	abstract readonly turns: ActorTurns;
	abstract readonly writer: ActorWriter;
	abstract readonly surface: ActorSurface;
	abstract readonly hub: ConnectionHub;
	abstract readonly calls: ActorCalls;
	abstract readonly connRecords: ConnWriteSource;
	abstract readonly context: ActorContextImpl;
	abstract readonly sync: SharedStateSync | undefined;
	abstract readonly presence: Presence | undefined;
	abstract readonly queue: QueueManager;
	/** What the writer collects writes from. */
	abstract readonly sources: readonly WriteSource[];
	abstract afterTurn(): void;
	abstract assertAwake(): void;

	// ---- ActorActivity ----
	get clock(): Clock {
		return this.host.deps.clock;
	}
	get sleeps(): SleepScheduler {
		return this.host.deps.sleeps;
	}
	log(): Logger {
		return this.host.log;
	}
	get sleepTimeout(): number {
		return this.host.deps.options.sleepTimeout;
	}
	get noSleep(): boolean {
		return this.host.deps.options.noSleep;
	}
	// Connections that hibernate do not keep the actor awake; nor do hibernatable raw sockets.
	othersIdle(): boolean {
		const host = this.host;
		return (
			host.status === "awake" &&
			this.hub.keepingAwake === 0 &&
			this.calls.rawSocketsKeepingAwake === 0 &&
			!(host.runs?.busy ?? false) &&
			!this.writer.hasPendingWrites
		);
	}
	onSettled(): void {
		this.afterTurn();
	}
	sleep(): void {
		void this.host.stop("sleep");
	}

	// ---- ConnectionHub ----
	get hooks(): ConnectionHooks {
		return this.host.deps.definition.config;
	}
	hookContext(conn: ConnectionImpl): ActorContextImpl {
		return this.context.forConnection(conn.request);
	}
	checkContext(conn: ConnectionImpl): ActionContextImpl {
		// With the connection's request: calls a check makes count from it (see MAX_CALL_DEPTH).
		return new ActionContextImpl(this.surface, conn, undefined, conn.request);
	}
	get sockets(): SocketRegistry {
		return this.host.deps.sockets;
	}
	get records(): ConnWriteSource {
		return this.connRecords;
	}
	running(): boolean {
		return this.host.status !== "stopped";
	}
	get nodeId(): string | undefined {
		return this.host.deps.links?.nodeId;
	}
	get links(): ConnectionLinks | undefined {
		return this.host.deps.links;
	}

	// ---- ActorCalls ----
	get contexts(): ContextHost {
		return this.surface;
	}
	get config(): AnyActorDefinition["config"] {
		return this.host.deps.definition.config;
	}
	get connectTimeout(): number {
		return this.host.deps.options.connectTimeout;
	}
	get hibernateConnections(): boolean {
		return this.host.deps.options.hibernateConnections;
	}
	track<T>(promise: Promise<T>): Promise<T> {
		return this.activity.track(promise);
	}

	// ---- ActorWriter ----
	get actorId(): string {
		return this.host.actorId;
	}
	get fence(): number {
		return this.host.fence;
	}
	get pipeline(): CommitPipeline {
		return this.host.deps.pipeline;
	}
	get durability(): "strict" | "relaxed" {
		return this.host.deps.options.durability;
	}
	get saveIntervalMs(): number {
		return this.host.deps.options.stateSaveInterval;
	}
	onFailure(error: unknown): void {
		this.host.reset(error);
	}
	onDurable(generation: number, alarm: number | null | undefined): void {
		const { deps } = this.host;
		this.hub.release(generation);
		if (alarm !== undefined) deps.onAlarmCommitted(this.host.actorId, alarm);
		deps.inspection?.committed(this.host.actorId);
		// Writes are collected when the commit is sent: idleness may have changed.
		this.activity.maybeIdle();
	}
}
