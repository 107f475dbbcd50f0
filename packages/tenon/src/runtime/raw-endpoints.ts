import type { CallerRequest } from "../actor/context.js";
import type { AnyActorDefinition } from "../actor/definition.js";
import type { ResolvedActorOptions } from "../actor/options.js";
import type { Clock } from "../common/clock.js";
import { callAsync, withTimeout } from "../common/timeouts.js";
import { type ActorError, errors } from "../protocol/errors.js";
import type { ActorCore } from "./actor-core.js";
import type { Caller } from "./caller.js";
import { type CloseKind, closeReason, refusalCloseCode } from "./connections/close-codes.js";
import type { ConnRecord, ConnWriteSource } from "./connections/conn-records.js";
import type { RawSocket } from "./connections/conn-socket.js";
import { ConnectionImpl, type ConnOwner, type ConnPersistence } from "./connections/connection.js";
import { RawWebSocketImpl } from "./connections/raw-websocket.js";
import type { SocketRegistry } from "./connections/socket-registry.js";
import { ActionContextImpl, type ContextHost } from "./context-impl.js";
import { gatedBody } from "./gated-body.js";
import {
	handlerRequest,
	pathAndQuery,
	restoreRequest,
	storeRequest,
	userProtocol,
} from "./raw-requests.js";

/** How raw WebSockets are closed when the actor stops. */
const RAW_CLOSE: Record<CloseKind, [number, string]> = {
	sleep: [1012, "actor.sleeping"],
	destroy: [1000, "actor.destroyed"],
	shutdown: [1001, "core.shutting_down"],
};

/** What the raw endpoints need from their actor instance. */
export interface RawEndpointHost extends ActorCore {
	readonly options: ResolvedActorOptions;
	readonly clock: Clock;
	track<T>(promise: Promise<T>): Promise<T>;
	afterTurn(): void;
	maybeIdle(): void;
	publicError(error: unknown, where: string, requestId?: string): ActorError;
}

/** The outcome of opening a raw socket; on refusal the socket was closed already. */
export type OpenedRawSocket = { ok: true } | { ok: false };

/** The instance's own steps the endpoints run (private to it). */
export interface RawEndpointSteps {
	readonly config: AnyActorDefinition["config"];
	/** What the handlers' contexts reach. */
	readonly contexts: ContextHost;
	/** Runs `work`, then releases its result through the output gate. */
	gated<T>(where: string, work: () => Promise<T>): Promise<T>;
	/** A connection for one request or socket, after the connect hooks. */
	prepareConn(caller: Caller): Promise<ConnectionImpl>;
	/** The node's sockets. */
	readonly sockets: SocketRegistry;
	/** Where connection records are written. */
	readonly records: ConnWriteSource;
	/** How a stored connection persists once restored. */
	persistence(record: ConnRecord): ConnPersistence;
	/** What restored connections send events and disconnects through (the hub). */
	readonly owner: ConnOwner;
}

/** One raw socket the actor holds: what its handler sees, its connection, the node's socket. */
interface OpenRaw {
	readonly ws: RawWebSocketImpl;
	readonly conn: ConnectionImpl;
	readonly socket: RawSocket;
	/** A restored socket's request, read back from its record once (its handler runs again with it). */
	readonly request?: CallerRequest | undefined;
}

/**
 * An actor's raw HTTP (`onRequest`) and raw WebSocket (`onWebSocket`)
 * endpoints, and the raw sockets it holds open. Made on first use. A raw
 * socket the actor lets hibernate (`canHibernateWebSocket`) stays open while
 * the actor sleeps; on wake, `onWebSocket` runs again for it (with
 * `websocket.restored` true, its `c.conn` state kept) before the messages
 * that arrived meanwhile are delivered.
 */
export class RawEndpoints {
	readonly #host: RawEndpointHost;
	readonly #steps: RawEndpointSteps;
	readonly #open = new Map<RawWebSocketImpl, OpenRaw>();
	/** Stored raw sockets found on wake, whose handler runs again once the actor is awake. */
	#restored: OpenRaw[] = [];
	#unpersisted = 0;

	constructor(host: RawEndpointHost, steps: RawEndpointSteps) {
		this.#host = host;
		this.#steps = steps;
	}

	/** Raw WebSockets open now. */
	get openSockets(): number {
		return this.#open.size;
	}

	/** Raw WebSockets that keep the actor awake (they cannot hibernate). */
	get keepingAwake(): number {
		return this.#unpersisted;
	}

	/** `/request/*`: the actor's `onRequest`, its response released through the output gate. */
	handleRequest(request: Request, caller: Caller): Promise<Response> {
		const host = this.#host;
		const steps = this.#steps;
		const onRequest = steps.config.onRequest;
		if (!onRequest) return Promise.reject(errors.handlerNotFound("onRequest"));
		return steps.gated("onRequest", async () => {
			const conn = await host.track(steps.prepareConn(caller));
			const context = new ActionContextImpl(
				this.#steps.contexts,
				conn,
				undefined,
				handlerRequest(caller.request, pathAndQuery(request.url)),
				caller.requestId,
			);
			const timeout = host.options.actionTimeout;
			const handled = callAsync(() => onRequest(context, request));
			// Held as an action's: what it received completable goes back if its code fails.
			handled.then(undefined, () => context.releaseQueueLeases());
			const response = await withTimeout(host.track(handled), host.clock, timeout, () =>
				errors.actionTimedOut("onRequest", timeout),
			);
			if (!(response instanceof Response)) throw new TypeError("onRequest must return a Response");
			host.afterTurn();
			return gatedBody(response, host);
		});
	}

	#canHibernate(request: CallerRequest | undefined): boolean {
		const option = this.#host.options.canHibernateWebSocket;
		if (typeof option === "boolean") return option;
		try {
			return request !== undefined && option(request) === true;
		} catch (error) {
			this.#host.log.error("canHibernateWebSocket threw; the socket will not hibernate", { error });
			return false;
		}
	}

	/** `/websocket/*`: hands a raw WebSocket to `onWebSocket` (on refusal the socket is closed). */
	async openWebSocket(url: string, caller: Caller, socket: RawSocket): Promise<OpenedRawSocket> {
		const host = this.#host;
		const steps = this.#steps;
		const onWebSocket = steps.config.onWebSocket;
		let opened: OpenRaw | undefined;
		let release: (() => void) | undefined;
		try {
			if (!onWebSocket) throw errors.handlerNotFound("onWebSocket");
			release = host.reserveConnection();
			const conn = await host.track(steps.prepareConn(caller));
			const request = handlerRequest(caller.request, url);
			if (this.#canHibernate(caller.request))
				conn.persist({
					kind: "raw",
					createdAt: host.clock.now(),
					rawUrl: url,
					storedRequest: storeRequest(request),
					onChange: (changed) => steps.records.changed(changed),
				});
			const ws = new RawWebSocketImpl(host, url, socket, false, userProtocol(caller.request));
			opened = { ws, conn, socket };
			this.#add(opened);
			release();
			const context = new ActionContextImpl(
				steps.contexts,
				conn,
				undefined,
				request,
				caller.requestId,
			);
			const handled = callAsync(() => onWebSocket(context, ws));
			handled.then(undefined, () => context.releaseQueueLeases());
			await host.track(handled);
			host.afterTurn();
		} catch (error) {
			release?.();
			if (opened !== undefined) this.#remove(opened, true);
			const shown = host.publicError(error, "onWebSocket");
			steps.sockets.forget(socket);
			socket.close(refusalCloseCode(error, shown), closeReason(`${shown.group}.${shown.code}`));
			return { ok: false };
		}
		// Its `open` listeners (RivetKit's handlers greet there) run before any message.
		opened.ws.opened();
		this.#attach(opened);
		return { ok: true };
	}

	#add(opened: OpenRaw): void {
		this.#open.set(opened.ws, opened);
		if (!opened.conn.persisted) this.#unpersisted++;
	}

	#remove(opened: OpenRaw, forgetRecord: boolean): void {
		if (!this.#open.delete(opened.ws)) return;
		if (!opened.conn.persisted) this.#unpersisted--;
		if (forgetRecord) this.#steps.records.removed(opened.conn);
	}

	/** The socket carries `opened`: its input goes to the handler's listeners. */
	#attach(opened: OpenRaw): void {
		const { ws, socket } = opened;
		socket.connId = opened.conn.id;
		socket.attach({
			receive: (data) => ws.receive(data),
			closed: (code, reason) => this.#closed(opened, code, reason),
		});
	}

	/** A raw WebSocket closed (its client went away, or the actor closed it). */
	#closed(opened: OpenRaw, code: number, reason: string): void {
		opened.ws.closed(code, reason);
		this.#remove(opened, true);
		this.#host.afterTurn();
	}

	/**
	 * On wake: stored raw sockets whose client socket this node still holds
	 * come back (their handler runs again once the actor is awake); those
	 * whose socket was lost (a restart) are forgotten: a raw client has no way
	 * to resume.
	 */
	restore(records: ReadonlyMap<string, ConnRecord>): void {
		const steps = this.#steps;
		const held = new Map<string, RawSocket>();
		for (const socket of steps.sockets.rawSocketsOf(this.#host.actorId))
			if (socket.connId !== undefined) held.set(socket.connId, socket);
		for (const [connId, record] of records) {
			if (record.kind !== "raw") continue;
			const conn = new ConnectionImpl(
				steps.owner,
				connId,
				record.params,
				record.state,
				undefined,
				undefined,
				true,
			);
			conn.persist(steps.persistence(record), { stored: true });
			const socket = held.get(connId);
			if (socket === undefined) {
				steps.records.removed(conn);
				continue;
			}
			const request = restoreRequest(conn.storedRequest);
			const opened = {
				ws: new RawWebSocketImpl(
					this.#host,
					record.url ?? "/",
					socket,
					true,
					userProtocol(request),
				),
				conn,
				socket,
				request,
			};
			this.#add(opened);
			this.#restored.push(opened);
		}
	}

	/**
	 * The actor is awake: `onWebSocket` runs again for each restored socket,
	 * then what arrived while it slept is delivered. Raw sockets held here
	 * that the actor no longer knows are closed.
	 */
	attachRestored(): void {
		const host = this.#host;
		const steps = this.#steps;
		const onWebSocket = steps.config.onWebSocket;
		const restored = this.#restored;
		this.#restored = [];
		const known = new Set(restored.map((opened) => opened.socket));
		for (const socket of steps.sockets.rawSocketsOf(host.actorId)) {
			if (socket.attached || socket.connId === undefined || known.has(socket)) continue;
			socket.release();
			steps.sockets.forget(socket);
			socket.close(1011, "conn.lost");
		}
		for (const opened of restored) {
			const context = new ActionContextImpl(steps.contexts, opened.conn, undefined, opened.request);
			void host
				.track(
					callAsync(() => {
						if (!onWebSocket) throw errors.handlerNotFound("onWebSocket");
						return onWebSocket(context, opened.ws);
					}),
				)
				.then(
					() => {
						host.afterTurn();
						this.#attach(opened);
					},
					(error: unknown) => {
						context.releaseQueueLeases();
						host.publicError(error, "onWebSocket (after a wake)");
						this.#remove(opened, true);
						opened.socket.release();
						steps.sockets.forget(opened.socket);
						opened.socket.close(1011, "core.internal_error");
					},
				);
		}
	}

	/** The actor starts to sleep: raw sockets that hibernate hold their input from now on. */
	suspend(): void {
		for (const opened of this.#open.values())
			if (opened.conn.persisted && opened.ws.readyState === 1) opened.socket.detach();
	}

	/**
	 * Closes every raw socket because the actor stops (`kind`) or failed
	 * (`undefined`); on sleep, those that hibernate stay open on the node, and with `keepHeld`
	 * (a wake that failed) those it restored and had not attached stay with the registry.
	 */
	closeAll(kind: CloseKind | "moved" | undefined, keepHeld = false): void {
		const [code, reason] =
			kind === undefined
				? [1011, "core.internal_error"]
				: kind === "moved"
					? [1012, "actor.moved"]
					: RAW_CLOSE[kind];
		this.#restored = [];
		for (const opened of [...this.#open.values()]) {
			this.#open.delete(opened.ws);
			if (kind === "sleep" && opened.conn.persisted && opened.ws.readyState === 1) continue;
			// A wake that failed: a hibernated socket it restored stays with the registry.
			if (keepHeld && !opened.socket.attached) continue;
			opened.socket.release();
			this.#steps.sockets.forget(opened.socket);
			opened.ws.close(code, reason);
		}
		this.#unpersisted = 0;
	}
}
