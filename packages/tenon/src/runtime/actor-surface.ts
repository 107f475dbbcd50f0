import type { Conn } from "../actor/context.js";
import type { OpenedDatabase } from "../actor/database.js";
import type { ActorQueue, QueueDecls } from "../actor/queues.js";
import type { ActorKeyList } from "../actor/types.js";
import type { Logger } from "../common/logger.js";
import { ActorError } from "../protocol/errors.js";
import type { ActorActivity } from "./actor-activity.js";
import type { ActorWriter } from "./actor-writer.js";
import type { ConnectionHub } from "./connections/connection-hub.js";
import type { ContextHost } from "./context-impl.js";
import type { EventTap } from "./event-taps.js";
import type { KvImpl } from "./kv-impl.js";
import type { QueueManager } from "./queue-manager.js";
import type { HeldQueueView } from "./queue-views.js";
import type { ScheduleManager } from "./schedule-manager.js";
import type { StateTracker } from "./state-tracker.js";

/** The parts of an awake actor that user code reaches (functions: some are made after this). */
export interface SurfaceParts {
	readonly actorId: string;
	readonly name: string;
	readonly key: ActorKeyList;
	abortSignal(): AbortSignal;
	/** The time on the actor's clock (the runtime's: manual under the test kit). */
	now(): number;
	log(): Logger;
	hub(): ConnectionHub;
	kv(): KvImpl;
	queue(): QueueManager;
	schedules(): ScheduleManager;
	/** The inspector's event log of this actor, while one follows it. */
	eventTap(): EventTap | undefined;
	/** Resolves when an output produced now is released (its commit is durable). */
	outputSent(): Promise<void>;
	tracker(): StateTracker;
	activity(): ActorActivity;
	writer(): ActorWriter;
	/** A client for actor-to-actor calls made `callDepth` calls deep. */
	createClient(callDepth: number): unknown;
	/** Sleeps or destroys the actor, after the calling turn replied. */
	stop(kind: "sleep" | "destroy"): void;
}

/**
 * What user code sees of one awake actor, behind every context `c`: its
 * state, vars, KV, queues, timers, database, connections and events, and
 * its requests to sleep, be destroyed or save now.
 */
export class ActorSurface implements ContextHost {
	readonly #parts: SurfaceParts;
	/** `c.vars`: per-wake, never stored. */
	#vars: unknown = undefined;
	/** The actor's database, when its definition has one (opened on wake). */
	database: OpenedDatabase<unknown> | undefined;
	#clients: unknown[] | undefined;

	constructor(parts: SurfaceParts) {
		this.#parts = parts;
	}

	get actorId(): string {
		return this.#parts.actorId;
	}
	get name(): string {
		return this.#parts.name;
	}
	get key(): ActorKeyList {
		return this.#parts.key;
	}
	get log(): Logger {
		return this.#parts.log();
	}
	get userLog(): Logger {
		this.#userLog ??= this.#parts.log().child({ requestId: undefined });
		return this.#userLog;
	}
	#userLog: Logger | undefined;
	get abortSignal(): AbortSignal {
		return this.#parts.abortSignal();
	}
	now(): number {
		return this.#parts.now();
	}
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	get connsView(): ReadonlyMap<string, Conn<any, any, any>> {
		return this.#parts.hub().liveConns();
	}
	get kv(): KvImpl {
		return this.#parts.kv();
	}
	get queue(): ActorQueue<QueueDecls> {
		return this.#parts.queue().view;
	}
	actionQueue(): HeldQueueView {
		return this.#parts.queue().actionView();
	}
	get db(): unknown {
		if (this.database === undefined) {
			throw new ActorError(
				"actor",
				"no_database",
				`Actor '${this.name}' has no database: add \`db: db(...)\` (from tenon/db) to its definition`,
			);
		}
		return this.database.client;
	}
	get scheduleApi(): ScheduleManager {
		return this.#parts.schedules();
	}
	getState(): unknown {
		return this.#parts.tracker().value;
	}
	setState(next: unknown): void {
		this.#parts.tracker().replace(next);
	}
	getVars(): unknown {
		return this.#vars;
	}
	setVars(next: unknown): void {
		this.#vars = next;
	}
	client(callDepth: number): unknown {
		// One per depth: a call carries how deep it is (most actors only ever use depth 1).
		this.#clients ??= [];
		let client = this.#clients[callDepth];
		if (client === undefined) {
			client = this.#parts.createClient(callDepth);
			this.#clients[callDepth] = client;
		}
		return client;
	}
	requestSleep(): void {
		// Deferred so the calling action finishes (and replies) first.
		setImmediate(() => this.#parts.stop("sleep"));
	}
	requestDestroy(): void {
		setImmediate(() => this.#parts.stop("destroy"));
	}
	saveState(): Promise<void> {
		return this.#parts.writer().flush();
	}
	keepAwake<T>(promise: Promise<T>): Promise<T> {
		return this.#parts.activity().keepAwake(promise);
	}
	waitUntil(promise: Promise<unknown>): void {
		this.#parts.activity().waitUntil(promise);
	}
	broadcast(name: string, args: unknown[], except?: string): void {
		const hub = this.#parts.hub();
		hub.broadcast(name, args, except);
		const tap = this.#parts.eventTap();
		if (tap === undefined) return;
		// Recorded once sent: events leave with their turn's commit (the output gate).
		let recipients = 0;
		for (const conn of hub.subscribersOf(name)) if (conn.id !== except) recipients++;
		tap.record(name, args, recipients, this.#parts.outputSent());
	}
}
