import type {
	ActionContext,
	ActorContext,
	CallerRequest,
	Conn,
	ConnectContext,
} from "../actor/context.js";
import type { ActorKv } from "../actor/kv.js";
import type { ActorQueue } from "../actor/queues.js";
import type { ActorCron, ActorSchedule, FireInfo } from "../actor/schedule.js";
import type { ActorKeyList } from "../actor/types.js";
import type { Client } from "../client/types.js";
import type { Logger } from "../common/logger.js";
import { fireDepthOf } from "./timer-depths.js";

/** What contexts need from their actor instance. */
export interface ContextHost {
	readonly actorId: string;
	readonly name: string;
	readonly key: ActorKeyList;
	readonly log: Logger;
	/**
	 * The logger user code gets as `c.log`: the actor's, with `requestId` reserved (undefined
	 * outside a request), so a client's object logged as fields cannot name one (logger.ts).
	 */
	readonly userLog: Logger;
	readonly abortSignal: AbortSignal;
	now(): number;
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	readonly connsView: ReadonlyMap<string, Conn<any, any, any>>;
	readonly kv: ActorKv;
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	readonly queue: ActorQueue<any>;
	/** A view of the queues for one action: its leases are released if it fails. */
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	actionQueue(): ActorQueue<any> & { releaseLeases(): void };
	/** The actor's database client (throws if the actor has none). */
	readonly db: unknown;
	readonly scheduleApi: {
		readonly schedule: ActorSchedule;
		readonly cron: ActorCron;
		/** `c.schedule` for code serving a call `depth` deep (its timers keep that depth). */
		scheduleAtDepth(depth: number): ActorSchedule;
	};
	/** The client for calls made `callDepth` calls deep (1: from an actor serving a client). */
	client(callDepth: number): unknown;
	getState(): unknown;
	setState(next: unknown): void;
	getVars(): unknown;
	setVars(next: unknown): void;
	/** Sends event `name` to every subscribed connection but `except` (a connection id). */
	broadcast(name: string, args: unknown[], except?: string): void;
	requestSleep(): void;
	requestDestroy(): void;
	saveState(): Promise<void>;
	keepAwake<T>(promise: Promise<T>): Promise<T>;
	waitUntil(promise: Promise<unknown>): void;
}

/** The `c` that lifecycle hooks get. */
// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
export class ActorContextImpl implements ActorContext<any, any, any, any, any, any, any> {
	protected readonly host: ContextHost;
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	readonly #queue: ActorQueue<any> | undefined;

	/** @param queue the queue view this context uses (default: the actor's). */
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	constructor(host: ContextHost, queue?: ActorQueue<any>) {
		this.host = host;
		this.#queue = queue;
	}

	get actorId(): string {
		return this.host.actorId;
	}
	get name(): string {
		return this.host.name;
	}
	get key(): ActorKeyList {
		return this.host.key;
	}
	get log(): Logger {
		return this.host.userLog;
	}
	get abortSignal(): AbortSignal {
		return this.host.abortSignal;
	}
	get aborted(): boolean {
		return this.host.abortSignal.aborted;
	}
	now(): number {
		return this.host.now();
	}
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	get conns(): ReadonlyMap<string, Conn<any, any, any>> {
		return this.host.connsView;
	}
	get kv(): ActorKv {
		return this.host.kv;
	}
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	get queue(): ActorQueue<any> {
		return this.#queue ?? this.host.queue;
	}
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	get db(): any {
		return this.host.db;
	}
	get schedule(): ActorSchedule {
		return this.host.scheduleApi.schedule;
	}
	get cron(): ActorCron {
		return this.host.scheduleApi.cron;
	}
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	get state(): any {
		return this.host.getState();
	}
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	set state(next: any) {
		this.host.setState(next);
	}
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	get vars(): any {
		return this.host.getVars();
	}
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	set vars(next: any) {
		this.host.setVars(next);
	}
	client<R>(): Client<R> {
		// Calls from a timer or the run loop start a chain of their own.
		return this.host.client(1) as Client<R>;
	}

	/**
	 * This context for a hook about a connection (`onConnect`, `onDisconnect`):
	 * its actor-to-actor calls count from the connection's request, as its
	 * actions' do (a cycle through hooks restarted at depth 1, a review).
	 */
	forConnection(request: CallerRequest | undefined): ActorContextImpl {
		return request === undefined || request.callDepth === 0
			? this
			: new ConnectContextImpl(this.host, request);
	}
	/** This context for one attempt of a workflow step: `abortSignal` is the attempt's (see AttemptContextImpl). */
	forAttempt(attempt: number, signal: AbortSignal): ActorContextImpl {
		return new AttemptContextImpl(this.host, this.#queue, attempt, signal);
	}
	broadcast(name: string, ...args: unknown[]): void {
		this.host.broadcast(name, args);
	}
	broadcastExcept(except: string, name: string, ...args: unknown[]): void {
		this.host.broadcast(name, args, except);
	}
	sleep(): void {
		this.host.requestSleep();
	}
	destroy(): void {
		this.host.requestDestroy();
	}
	saveState(_options?: {
		immediate?: boolean | undefined;
		maxWait?: number | undefined;
	}): Promise<void> {
		return this.host.saveState();
	}
	get region(): string {
		return "local";
	}
	keepAwake<T>(promise: Promise<T>): Promise<T> {
		return this.host.keepAwake(promise);
	}
	waitUntil(promise: Promise<unknown>): void {
		this.host.waitUntil(promise);
	}
}

/**
 * The `c` a workflow step's attempt gets: the actor context, with the attempt's
 * number and a signal that aborts when the attempt is given up (it timed out,
 * its branch lost a race) or the actor stops, for the `fetch` it makes.
 */
class AttemptContextImpl extends ActorContextImpl {
	readonly attempt: number;
	readonly #signal: AbortSignal;

	constructor(
		host: ContextHost,
		// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
		queue: ActorQueue<any> | undefined,
		attempt: number,
		signal: AbortSignal,
	) {
		super(host, queue);
		this.attempt = attempt;
		this.#signal = signal;
	}

	override get abortSignal(): AbortSignal {
		return this.#signal;
	}
	override get aborted(): boolean {
		return this.#signal.aborted;
	}
}

/** The `c` that `onBeforeConnect` and `createConnState` get: the actor context plus the request. */
export class ConnectContextImpl
	extends ActorContextImpl
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	implements ConnectContext<any, any, any, any, any, any, any>
{
	readonly request: CallerRequest | undefined;
	readonly resuming: { readonly id: string; readonly state: unknown } | undefined;

	constructor(
		host: ContextHost,
		request: CallerRequest | undefined,
		resuming?: { readonly id: string; readonly state: unknown },
	) {
		super(host);
		this.request = request;
		this.resuming = resuming;
	}

	/** A client whose calls are one deeper than the request connecting (see MAX_CALL_DEPTH). */
	override client<R>(): Client<R> {
		return this.host.client((this.request?.callDepth ?? 0) + 1) as Client<R>;
	}
}

/** The `c` that actions get: the actor context plus the calling connection (and timer info). */
export class ActionContextImpl
	extends ActorContextImpl
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	implements ActionContext<any, any, any, any, any, any, any>
{
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	readonly conn: Conn<any, any, any>;
	readonly fire: FireInfo | undefined;
	readonly request: CallerRequest | undefined;
	/** The id of the request (HTTP) or message (WebSocket) this action serves, if any. */
	readonly requestId: string | undefined;
	#log: Logger | undefined;
	/** This action's view of the queues (made on first use, so unused costs nothing). */
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	#queueView: (ActorQueue<any> & { releaseLeases(): void }) | undefined;
	/** The action's code failed (see releaseQueueLeases). */
	#failed = false;

	constructor(
		host: ContextHost,
		// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
		conn: Conn<any, any, any>,
		fire: FireInfo | undefined,
		request: CallerRequest | undefined = undefined,
		requestId: string | undefined = undefined,
	) {
		super(host);
		this.conn = conn;
		this.fire = fire;
		this.request = request;
		this.requestId = requestId;
	}

	/**
	 * How deep in a chain of actor-to-actor calls this action runs: its
	 * request's depth, or for a timer's action the depth the timer was set at
	 * (timer-depths.ts: a cycle through timers otherwise never ended).
	 */
	get #callDepth(): number {
		return this.request?.callDepth ?? fireDepthOf(this.fire);
	}

	/** A client whose calls are one deeper than the call this action serves (see MAX_CALL_DEPTH). */
	override client<R>(): Client<R> {
		return this.host.client(this.#callDepth + 1) as Client<R>;
	}

	/** Timers this action sets keep its call depth, for the calls their actions make. */
	override get schedule(): ActorSchedule {
		return this.host.scheduleApi.scheduleAtDepth(this.#callDepth);
	}

	/** The queues; what this action receives completable goes back if it fails (see releaseQueueLeases). */
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	override get queue(): ActorQueue<any> {
		if (this.#queueView === undefined) {
			this.#queueView = this.host.actionQueue();
			// Code left running after its action failed receives nothing.
			if (this.#failed) this.#queueView.releaseLeases();
		}
		return this.#queueView;
	}

	/**
	 * The action's code failed (it threw, at once or later, maybe after the
	 * action timed out): the messages it received with `completable: true` and
	 * did not complete are available again, and what it still waits for ends
	 * with nothing. (A timeout alone releases nothing: the code still runs and
	 * may complete them.)
	 */
	releaseQueueLeases(): void {
		this.#failed = true;
		this.#queueView?.releaseLeases();
	}

	/** The actor's logger; with a request id, a child carrying it (made on first use, so unused costs nothing). */
	override get log(): Logger {
		if (this.requestId === undefined) return this.host.userLog;
		this.#log ??= this.host.log.child({ requestId: this.requestId });
		return this.#log;
	}
}
