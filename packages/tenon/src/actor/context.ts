import type { Client } from "../client/types.js";
import type { Logger } from "../common/logger.js";
import type { AnyEvents, EventArgsOf, EventDecls, EventName } from "./events.js";
import type { ActorKv } from "./kv.js";
import type { ActorQueue } from "./queues.js";
import type { ActorCron, ActorSchedule, FireInfo } from "./schedule.js";
import type { ActorKeyList } from "./types.js";

/**
 * A client connection as the actor sees it.
 *
 * @example
 * onConnect: (c, conn) => conn.send("welcome", { users: c.conns.size })
 */
export interface Conn<CP = unknown, CS = unknown, E extends EventDecls = AnyEvents> {
	/** Unique id of the connection. */
	readonly id: string;
	/** The params the client connected with. */
	readonly params: CP;
	/**
	 * Per-connection state from `createConnState` / `connState`. Stored with
	 * the actor's commits (unless `hibernateConnections` is off), so it
	 * survives the actor's sleep and server restarts.
	 */
	state: CS;
	/** True for the short-lived connection behind a stateless HTTP action. */
	readonly isEphemeral: boolean;
	/**
	 * True when the connection is stored with the actor, so it stays open while
	 * the actor sleeps and survives restarts (RivetKit's `isHibernatable`); false
	 * for an HTTP action's, with `hibernateConnections: false`, for a raw socket
	 * the actor does not let hibernate, or conn state that cannot be stored.
	 */
	readonly isHibernatable: boolean;
	/** Sends an event to this connection only (if it subscribed to it). */
	send<K extends EventName<E>>(name: K, ...args: EventArgsOf<E, K>): void;
	/** Closes the connection. */
	disconnect(reason?: string): void;
}

/** The identity every context has, including the one `createState` gets. */
export interface ActorIdentity {
	/** The actor's unique id. */
	readonly actorId: string;
	/** The actor's name in the registry (e.g. `counter`). */
	readonly name: string;
	/** The actor's key, as a list of components. */
	readonly key: ActorKeyList;
	/** A logger bound to this actor. */
	readonly log: Logger;
}

/** Context of `createState`: identity only, since state does not exist yet. */
export interface CreateStateContext extends ActorIdentity {}

/**
 * The HTTP request behind a call, as auth hooks see it: a stateless action,
 * a queue send, a raw request, a connection's or a raw socket's upgrade, an
 * actor creation. Everything here comes from the client except
 * `remoteAddress`; decide who the caller is from verified credentials in it
 * (a session cookie, a signed token), never from fields of a message body.
 */
export interface CallerRequest {
	/** `GET`, `POST`, ... (`GET` for WebSocket upgrades). */
	readonly method: string;
	/**
	 * The URL the client asked for, e.g. `http://localhost:6420/gateway/chat/connect?rvt-method=get`
	 * (its host is what the client sent in `Host`).
	 */
	readonly url: string;
	/** The request headers (read-only). */
	readonly headers: Headers;
	/** Cookies from the `Cookie` header, by name (first value wins). */
	readonly cookies: Readonly<Record<string, string>>;
	/**
	 * The peer's IP address as the server saw it (through a cluster hop, the
	 * original client's). Undefined for in-process calls (`c.client()`).
	 */
	readonly remoteAddress: string | undefined;
	/**
	 * True when another actor of this server (or of its cluster) makes the
	 * call through `c.client()`; never for a request from the network. Lets
	 * an actor serve other actors only.
	 *
	 * @example
	 * onBeforeConnect: (c) => {
	 *   if (!c.request?.internal) throw new UserError("internal service", { code: "forbidden" });
	 * }
	 */
	readonly internal: boolean;
	/**
	 * How many actor-to-actor calls lead to this one: 0 for a client's
	 * request, 1 for a call an actor made while serving one (or from a timer
	 * or its `run`), 2 for a call that actor's callee made, and so on. A chain
	 * deeper than 32 is refused (`actor/call_too_deep`).
	 */
	readonly callDepth: number;
	/**
	 * The client token the request carried (`x-rivet-token` header,
	 * `rvt-token`, the `@token` of a gateway id, or the `rivet_token.`
	 * sub-protocol). When the server has a `clientToken`, it was checked
	 * already; otherwise it is for your hooks to verify.
	 */
	readonly token: string | undefined;
}

/**
 * Context of `onBeforeCreate`: who is creating which actor. The actor does
 * not exist yet; throw (e.g. `UserError` with code `forbidden`) to refuse.
 */
export interface CreateContext {
	/** The actor's name in the registry. */
	readonly name: string;
	/** The key it would be created with. */
	readonly key: ActorKeyList;
	/**
	 * The caller's connection params (from the request, if any), unchecked:
	 * `connParamsSchema` runs when the caller connects.
	 */
	readonly params: unknown;
	/** The request asking for the creation; undefined for in-process calls. */
	readonly request: CallerRequest | undefined;
	/** The server's logger. */
	readonly log: Logger;
}

/** Everything an actor can do, minus vars (for `createVars`, which creates them). */
export interface ActorContextBase<S, CP, CS, E extends EventDecls, Q = {}, D = undefined>
	extends ActorIdentity {
	/** The actor's state. Mutate it directly; changes are persisted before replies are sent. */
	state: S;
	/** The open connections, by id. */
	readonly conns: ReadonlyMap<string, Conn<CP, CS, E>>;
	/** Sends an event to every connection subscribed to it. */
	broadcast<K extends EventName<E>>(name: K, ...args: EventArgsOf<E, K>): void;
	/**
	 * Sends an event to every connection subscribed to it but the one whose id
	 * is `except` (as the Agents SDK's `broadcast(message, without)`): pass a
	 * client's change on to everyone else. Encoded once for all of them, where
	 * a `conn.send` per connection encodes it for each.
	 *
	 * @example
	 * actions: { move: (c, to: Point) => c.broadcastExcept(c.conn.id, "moved", c.conn.id, to) }
	 */
	broadcastExcept<K extends EventName<E>>(
		except: string,
		name: K,
		...args: EventArgsOf<E, K>
	): void;
	/** Asks the actor to go to sleep once the current work is done. */
	sleep(): void;
	/** Destroys the actor: `onDestroy` runs, connections close, all its data is deleted. */
	destroy(): void;
	/**
	 * Writes pending state changes now and resolves when they are durable. RivetKit's options
	 * (`immediate`, `maxWait`) are accepted and change nothing: Tenon always saves at once.
	 */
	saveState(options?: {
		immediate?: boolean | undefined;
		maxWait?: number | undefined;
	}): Promise<void>;
	/**
	 * Where the actor runs, as RivetKit's `c.region`: always `"local"` (a Tenon node, or its
	 * cluster, is one place; an actor moves between nodes, not regions).
	 */
	readonly region: string;
	/** Keeps the actor awake until `promise` settles; returns it. */
	keepAwake<T>(promise: Promise<T>): Promise<T>;
	/** Lets `promise` finish during the sleep grace period instead of holding the actor awake. */
	waitUntil(promise: Promise<unknown>): void;
	/** Aborted when the actor starts to sleep or is destroyed. */
	readonly abortSignal: AbortSignal;
	/** True once the actor started to sleep or is being destroyed (same as `abortSignal.aborted`). */
	readonly aborted: boolean;
	/**
	 * The time (ms since the epoch) on the clock the actor's timers run on:
	 * `Date.now()` in a server, the manual clock under `setupTest` (where
	 * `Date.now()` is real time). Use it for times compared with timers'
	 * (`c.schedule.at(c.now() + 10_000, ...)`, a match's `endsAt`).
	 */
	now(): number;
	/** The actor's own key/value store, saved with its state. */
	readonly kv: ActorKv;
	/** The actor's durable queues. */
	readonly queue: ActorQueue<Q>;
	/**
	 * The actor's own SQLite database (`db: db(...)` from `tenon/db` or
	 * `tenon/db/drizzle`). Its changes commit with the actor's turn.
	 */
	readonly db: D;
	/** One-shot durable timers. */
	readonly schedule: ActorSchedule;
	/** Named recurring jobs (cron expressions and fixed intervals). */
	readonly cron: ActorCron;
	/**
	 * A typed client for calling other actors (in-process when they live on
	 * this node).
	 *
	 * @example
	 * const inventory = c.client<typeof registry>().inventory.getOrCreate(sku);
	 * await inventory.reserve(1);
	 */
	client<R>(): Client<R>;
}

/** The context of lifecycle hooks and actions. */
export interface ActorContext<S, CP, CS, V, E extends EventDecls, Q = {}, D = undefined>
	extends ActorContextBase<S, CP, CS, E, Q, D> {
	/** Ephemeral per-wake variables from `vars` / `createVars` (never persisted). */
	vars: V;
}

/** The context of `onBeforeConnect` and `createConnState`: the actor context plus the request. */
export interface ConnectContext<S, CP, CS, V, E extends EventDecls, Q = {}, D = undefined>
	extends ActorContext<S, CP, CS, V, E, Q, D> {
	/**
	 * The request that opens the connection (its WebSocket upgrade, or the
	 * HTTP request of a stateless action, queue send or raw request).
	 * Undefined for connections opened by the actor itself (timers).
	 */
	readonly request: CallerRequest | undefined;
	/**
	 * Set when a client resumes a stored connection (after a dropped socket
	 * or a restart, with the connection's id and secret): its id and the conn
	 * state made for its first caller. `onBeforeConnect` gets the params the
	 * client sends now; throw when they name someone else than that state
	 * does (the secret is a session key: whoever holds it would otherwise
	 * resume the connection as its first caller).
	 *
	 * @example
	 * onBeforeConnect: (c, params: { token: string }) => {
	 *   const user = verify(params.token).userId;
	 *   // The hooks see conn state untyped (they also run before it exists).
	 *   const owner = (c.resuming?.state as { userId: string } | undefined)?.userId;
	 *   if (c.resuming && owner !== user) throw new UserError("Not your connection", { code: "forbidden" });
	 * }
	 */
	readonly resuming: { readonly id: string; readonly state: CS } | undefined;
}

/** The context of an action: the actor context plus the calling connection. */
export interface ActionContext<S, CP, CS, V, E extends EventDecls, Q = {}, D = undefined>
	extends ActorContext<S, CP, CS, V, E, Q, D> {
	/** The connection that called the action (ephemeral for HTTP calls and timers). */
	readonly conn: Conn<CP, CS, E>;
	/** Set when a timer (`c.schedule`, `c.cron`) fired this action. */
	readonly fire: FireInfo | undefined;
	/**
	 * The HTTP request of a stateless action or raw request. Undefined for
	 * actions over a connection (check the caller once, when it connects, and
	 * keep what you learn in `c.conn.state`) and for timers.
	 */
	readonly request: CallerRequest | undefined;
}

/** What a raw WebSocket's events carry (a subset of the platform's `Event`s). */
export interface ActorWebSocketEvent {
	readonly type: "open" | "message" | "close" | "error";
	readonly target: ActorWebSocket;
}

/**
 * A message from the client: text as a string; binary as a `Uint8Array` (`binaryType`
 * `"nodebuffer"`, the default) or an `ArrayBuffer` (`"arraybuffer"`).
 */
export interface ActorWebSocketMessageEvent extends ActorWebSocketEvent {
	readonly type: "message";
	readonly data: string | Uint8Array | ArrayBuffer;
}

/** The socket closed: its code and reason; `wasClean` false when no close frame came (1006). */
export interface ActorWebSocketCloseEvent extends ActorWebSocketEvent {
	readonly type: "close";
	readonly code: number;
	readonly reason: string;
	readonly wasClean: boolean;
}

/** The events of a raw WebSocket, by type. */
export interface ActorWebSocketEventMap {
	open: ActorWebSocketEvent;
	message: ActorWebSocketMessageEvent;
	close: ActorWebSocketCloseEvent;
	error: ActorWebSocketEvent;
}

/**
 * The actor's side of a raw WebSocket (`onWebSocket`): the standard WebSocket
 * interface, as RivetKit's handlers use it. Messages it sends leave after the writes
 * made before them are durable. It is open when `onWebSocket` runs (`send` works
 * there); `open` fires once the handler returned (its promise settled), before the
 * first message, and not for a socket restored after a wake.
 */
export interface ActorWebSocket {
	readonly CONNECTING: 0;
	readonly OPEN: 1;
	readonly CLOSING: 2;
	readonly CLOSED: 3;
	/** The path after `/websocket` (with query string). */
	readonly url: string;
	/** The sub-protocol selected: the first the client offered that is not Rivet's own, or "". */
	readonly protocol: string;
	/** Always "" (no extension is negotiated for the actor). */
	readonly extensions: string;
	/** Always 0: sends are queued by the server (see the outgoing limits in security.md). */
	readonly bufferedAmount: number;
	/**
	 * How binary messages arrive: `"nodebuffer"` (a `Uint8Array`, the default) or
	 * `"arraybuffer"`. Other values are ignored (a browser's `"blob"` too: read it as bytes).
	 */
	binaryType: "nodebuffer" | "arraybuffer";
	/**
	 * True when `onWebSocket` runs again for a socket that stayed open while
	 * the actor slept (`canHibernateWebSocket`): register listeners again, but
	 * do not greet the client again. Its `c.conn.state` was kept.
	 */
	readonly restored: boolean;
	readonly readyState: 0 | 1 | 2 | 3;
	onopen: ((event: ActorWebSocketEvent) => void) | null;
	onmessage: ((event: ActorWebSocketMessageEvent) => void) | null;
	onclose: ((event: ActorWebSocketCloseEvent) => void) | null;
	onerror: ((event: ActorWebSocketEvent) => void) | null;
	send(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): void;
	close(code?: number, reason?: string): void;
	addEventListener<K extends keyof ActorWebSocketEventMap>(
		type: K,
		listener: (event: ActorWebSocketEventMap[K]) => void,
	): void;
	removeEventListener<K extends keyof ActorWebSocketEventMap>(
		type: K,
		listener: (event: ActorWebSocketEventMap[K]) => void,
	): void;
	/** Calls the listeners of `event.type` (and its `on...` handler); true. */
	dispatchEvent(event: { type: string }): boolean;
}
