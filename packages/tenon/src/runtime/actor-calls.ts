import type { AnyActorDefinition } from "../actor/definition.js";
import type { QueueDecls } from "../actor/queues.js";
import type { Clock } from "../common/clock.js";
import { randomId } from "../common/ids.js";
import { errors } from "../protocol/errors.js";
import type { ActorTurns } from "./actor-turns.js";
import { type Caller, markAccepted } from "./caller.js";
import { runConnectHooks } from "./connect-hooks.js";
import type { CloseKind } from "./connections/close-codes.js";
import { hookFailure } from "./connections/close-codes.js";
import { openConnection, type ResumeRequest } from "./connections/conn-opening.js";
import type { ConnRecord, ConnWriteSource } from "./connections/conn-records.js";
import type { ConnSocket, RawSocket } from "./connections/conn-socket.js";
import {
	ConnectionImpl,
	type ConnPersistence,
	type ConnTransport,
} from "./connections/connection.js";
import type { ConnectionHub } from "./connections/connection-hub.js";
import type { SocketRegistry } from "./connections/socket-registry.js";
import { ActionContextImpl, ConnectContextImpl, type ContextHost } from "./context-impl.js";
import type { QueueManager, QueueSendResult } from "./queue-manager.js";
import { type OpenedRawSocket, type RawEndpointHost, RawEndpoints } from "./raw-endpoints.js";

/** What the calls from outside need from their actor. */
export interface CallDeps {
	/** The actor, as the raw endpoints see it. */
	readonly core: RawEndpointHost;
	/** What the hooks' contexts reach. */
	readonly contexts: ContextHost;
	readonly config: AnyActorDefinition["config"];
	readonly clock: Clock;
	readonly connectTimeout: number;
	readonly hub: ConnectionHub;
	/** Where connection records are written. */
	readonly records: ConnWriteSource;
	/** The node's sockets. */
	readonly sockets: SocketRegistry;
	/** The actor's connections hibernate (its `hibernateConnections` option). */
	readonly hibernateConnections: boolean;
	readonly turns: ActorTurns;
	readonly queue: QueueManager;
	/** Throws `actor/stopping` unless the actor is awake. */
	assertAwake(): void;
	/** Counts `promise` as a turn until it settles. */
	track<T>(promise: Promise<T>): Promise<T>;
}

/**
 * The calls that reach an actor from outside it: the connect hooks that admit
 * a caller, stateless HTTP actions, queue sends, and raw requests and sockets.
 * Each runs as a turn and answers through the output gate.
 */
export class ActorCalls {
	readonly #deps: CallDeps;
	#raw: RawEndpoints | undefined;
	/** Callers the connect hooks accepted since the actor woke. */
	#accepted = 0;

	constructor(deps: CallDeps) {
		this.#deps = deps;
	}

	/** Callers the connect hooks accepted since the actor woke. */
	get acceptedCallers(): number {
		return this.#accepted;
	}

	/** Raw WebSockets open now. */
	get openRawSockets(): number {
		return this.#raw?.openSockets ?? 0;
	}

	/** Raw WebSockets that keep the actor awake (those that cannot hibernate). */
	get rawSocketsKeepingAwake(): number {
		return this.#raw?.keepingAwake ?? 0;
	}

	// ---- Realtime connections ------------------------------------------------------

	/** Opens (or resumes) a realtime connection on `socket`; false when refused. */
	openConnection(
		caller: Caller,
		socket: ConnSocket,
		resume: ResumeRequest | undefined,
	): Promise<boolean> {
		const deps = this.#deps;
		return openConnection(
			deps.hub,
			{
				prepare: (who, transport) => this.prepareConn(who, transport),
				admit: (who, resuming) => this.admit(who, resuming),
				persistence: (tokenHash) =>
					deps.hibernateConnections
						? {
								kind: "connect",
								createdAt: deps.clock.now(),
								tokenHash,
								onChange: this.#onConnChange,
							}
						: undefined,
				connectTimeout: deps.connectTimeout,
			},
			caller,
			socket,
			resume,
		);
	}

	/** How a stored connection persists once it is restored. */
	persistence(record: ConnRecord): ConnPersistence {
		return {
			kind: record.kind,
			createdAt: record.createdAt,
			tokenHash: record.token,
			rawUrl: record.url,
			storedRequest: record.request,
			onChange: this.#onConnChange,
		};
	}

	/**
	 * One function for every connection's record (a wake-up restores them
	 * all), made with the first connection: most actors have none.
	 */
	#connListener: ((conn: ConnectionImpl, subscriptionsOnly?: boolean) => void) | undefined;
	get #onConnChange(): (conn: ConnectionImpl, subscriptionsOnly?: boolean) => void {
		if (this.#connListener === undefined)
			this.#connListener = (conn, subscriptionsOnly) => this.#connChanged(conn, subscriptionsOnly);
		return this.#connListener;
	}

	/**
	 * A connection's record must be written again; after a change of its
	 * state or params, its shared-state projection may differ too (not after
	 * one of its subscriptions, which the projection does not see).
	 */
	#connChanged(conn: ConnectionImpl, subscriptionsOnly = false): void {
		if (subscriptionsOnly) {
			this.#deps.records.subscriptionsChanged(conn);
			return;
		}
		this.#deps.records.changed(conn);
		this.#deps.hub.deps.sync?.connChanged(conn);
	}

	/**
	 * Checks a caller returning to its connection: `connParamsSchema` and
	 * `onBeforeConnect` run again (credentials may have been revoked); its
	 * conn state is kept, so `createConnState` does not. Returns the checked params.
	 */
	async admit(caller: Caller, resuming: { id: string; state: unknown }): Promise<unknown> {
		const deps = this.#deps;
		deps.assertAwake();
		const { params } = await runConnectHooks(
			deps.config,
			new ConnectContextImpl(deps.contexts, caller.request, resuming),
			deps.clock,
			deps.connectTimeout,
			caller.params,
			{ createState: false },
		);
		markAccepted(caller);
		this.#accepted++;
		return params;
	}

	/** Runs the connect hooks and returns the connection, not yet registered. */
	async prepareConn(caller: Caller, transport: ConnTransport | undefined): Promise<ConnectionImpl> {
		const now = this.prepareConnNow(caller, transport);
		if (now !== undefined) return now;
		const deps = this.#deps;
		let hooked: { params: unknown; state: unknown };
		try {
			hooked = await runConnectHooks(
				deps.config,
				new ConnectContextImpl(deps.contexts, caller.request),
				deps.clock,
				deps.connectTimeout,
				caller.params,
			);
		} catch (error) {
			// Logged (when not an ActorError) as the hooks' error: it was logged as the action's
			// or `onRequest`'s that the connection was made for (a review, 2026-11-26).
			throw hookFailure(error, deps.core.publicError(error, "connect hooks", caller.requestId));
		}
		return this.#accept(caller, transport, hooked.params, hooked.state);
	}

	/**
	 * {@link prepareConn} for an actor without connect hooks or a params
	 * schema (nothing to wait for): the connection at once. Undefined when
	 * hooks must run.
	 */
	prepareConnNow(caller: Caller, transport: ConnTransport | undefined): ConnectionImpl | undefined {
		const deps = this.#deps;
		deps.assertAwake();
		const config = deps.config;
		if (
			config.connParamsSchema !== undefined ||
			config.onBeforeConnect !== undefined ||
			config.createConnState !== undefined
		)
			return undefined;
		// What runConnectHooks gives without hooks.
		const state = config.connState === undefined ? undefined : structuredClone(config.connState);
		return this.#accept(caller, transport, caller.params, state);
	}

	#accept(
		caller: Caller,
		transport: ConnTransport | undefined,
		params: unknown,
		state: unknown,
	): ConnectionImpl {
		markAccepted(caller);
		this.#accepted++;
		return new ConnectionImpl(
			this.#deps.hub,
			randomId(20),
			params,
			state,
			transport,
			caller.request,
		);
	}

	/**
	 * A stateless HTTP action: a short-lived connection (`onBeforeConnect` and
	 * `createConnState` run; it is not in `c.conns` and gets no events), the
	 * action, then the output gate.
	 */
	httpAction<R>(
		name: string,
		args: unknown[],
		caller: Caller,
		encode: (output: unknown) => R,
	): R | Promise<R> {
		const deps = this.#deps;
		return deps.turns.gatedNow(
			`action '${name}'`,
			() => {
				const conn = this.prepareConnNow(caller, undefined);
				if (conn !== undefined) return this.#httpTurn(name, args, conn, caller, encode);
				return deps
					.track(this.prepareConn(caller, undefined))
					.then((hooked) => this.#httpTurn(name, args, hooked, caller, encode));
			},
			caller.requestId,
		);
	}

	/** An HTTP action's turn on its connection; encoded at the end of the turn, before the gate. */
	#httpTurn<R>(
		name: string,
		args: unknown[],
		conn: ConnectionImpl,
		caller: Caller,
		encode: (output: unknown) => R,
	): R | Promise<R> {
		// Encoded at the end of its turn, before the gate: later turns may change what `output` refers to.
		const output = this.#deps.turns.invokeNow(name, args, conn, caller.requestId);
		return output instanceof Promise ? output.then(encode) : encode(output);
	}

	/**
	 * `POST /queue/{name}`: enqueue durably, then optionally wait for
	 * completion. The answer is encoded when it is decided (by `encode`), so it
	 * shows the completing turn, not what later turns wrote.
	 */
	async httpQueueSend<R>(
		name: string,
		body: unknown,
		caller: Caller,
		wait: boolean,
		limits: { waitMs: number; signal: AbortSignal | undefined },
		encode: (result: QueueSendResult) => R,
	): Promise<R> {
		const deps = this.#deps;
		const { completion } = await deps.turns.gated(`queue '${name}'`, async () => {
			const conn = await deps.track(this.prepareConn(caller, undefined));
			await deps.track(this.#checkPublish(name, conn));
			const waiting = { timeoutMs: limits.waitMs, signal: limits.signal, encode };
			return deps.track(deps.queue.enqueue(name, body, wait ? waiting : undefined));
		});
		return completion === undefined ? encode({ status: "completed" }) : (completion as Promise<R>);
	}

	/** A queue's `canPublish` check for a client's send (sends from the actor itself are not checked). */
	async #checkPublish(name: string, conn: ConnectionImpl): Promise<void> {
		const queues = this.#deps.config.queues as QueueDecls | undefined;
		const check = queues && Object.hasOwn(queues, name) ? queues[name]?.canPublish : undefined;
		if (check === undefined) return;
		const allowed = await check(
			new ActionContextImpl(this.#deps.contexts, conn, undefined, conn.request),
		);
		if (allowed !== true)
			throw errors.forbidden(`sending to queue '${name}' is not allowed`, { queue: name });
	}

	#rawEndpoints(): RawEndpoints {
		const deps = this.#deps;
		this.#raw ??= new RawEndpoints(deps.core, {
			config: deps.config,
			contexts: deps.contexts,
			gated: (where, work) => deps.turns.gated(where, work),
			prepareConn: (caller) => this.prepareConn(caller, undefined),
			sockets: deps.sockets,
			records: deps.records,
			persistence: (record) => this.persistence(record),
			owner: deps.hub,
		});
		return this.#raw;
	}

	/** `/request/*`: the actor's `onRequest`, its response released through the output gate. */
	handleRequest(request: Request, caller: Caller): Promise<Response> {
		return this.#rawEndpoints().handleRequest(request, caller);
	}

	/** `/websocket/*`: hands a raw WebSocket to `onWebSocket`. */
	openRawWebSocket(url: string, caller: Caller, socket: RawSocket): Promise<OpenedRawSocket> {
		return this.#rawEndpoints().openWebSocket(url, caller, socket);
	}

	/** Closes every raw socket as the actor stops (`undefined`: failed; `"moved"`: another node has it). */
	closeRawSockets(kind: CloseKind | "moved" | undefined, keepHeld = false): void {
		this.#raw?.closeAll(kind, keepHeld);
	}

	/** Raw sockets that hibernated come back on wake (their handler runs again). */
	restoreRawSockets(records: ReadonlyMap<string, ConnRecord>): void {
		for (const record of records.values()) {
			if (record.kind !== "raw") continue;
			this.#rawEndpoints().restore(records);
			return;
		}
	}

	/** The actor is awake: restored raw sockets take their input again. */
	attachRawSockets(): void {
		if (
			this.#raw === undefined &&
			this.#deps.sockets.rawSocketsOf(this.#deps.core.actorId).length === 0
		)
			return;
		this.#rawEndpoints().attachRestored();
	}

	/** The actor starts to sleep: input on raw sockets that hibernate is held. */
	suspendRawSockets(): void {
		this.#raw?.suspend();
	}
}
