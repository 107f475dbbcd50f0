import { callSafely } from "../common/call-safely.js";
import { corkUntilTickEnd } from "../common/ws-cork.js";
import { activeTraceparent } from "../observability/trace-context.js";
import { CONN_METHODS, CONN_PROPERTIES } from "../protocol/client-members.js";
import { ActorError } from "../protocol/errors.js";
import {
	actorErrorFromPayload,
	decodeToClient,
	encodeToServer,
	type ToServer,
} from "../protocol/messages.js";
import type { PresenceEntry } from "../protocol/sync-names.js";
import { ActionProxies } from "./action-proxy.js";
import { closeCause, isFatal } from "./close-cause.js";
import { abortableCall, type InFlight, newResumeToken } from "./in-flight.js";
import { PresenceView, SharedStateView, type SyncHost } from "./sync.js";
import { type ClientTransport, encodeParamsProtocol } from "./transport.js";
import type { ActionCall, ConnStatus } from "./types.js";

/** How a connection finds its actor. */
export interface ConnTargetSource {
	url(): Promise<string>;
	params(): Promise<unknown>;
	onDispose(conn: ActorConnImpl): void;
	/** The actor behind a cached id is gone; resolve again next time. */
	staleTarget(): void;
}

interface Listener {
	// biome-ignore lint/suspicious/noExplicitAny: stored listeners of every event's argument types; each was typed where it was registered.
	callback: (...args: any[]) => void;
	once: boolean;
}

const WS_OPEN = 1;

/**
 * What a connection id the server sent may look like: it goes back in a
 * sub-protocol (`rivet_conn.<id>`), which must be an HTTP token, and a
 * WebSocket constructor throws on anything else. Tenon's ids are UUIDs.
 */
const CONNECTION_ID = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/;

/**
 * Presence before anything subscribed to it: one map, so every read gives the
 * same value (React's `useSyncExternalStore` warns about, and re-renders on,
 * a snapshot that differs on each read).
 */
const NO_PRESENCE: ReadonlyMap<string, PresenceEntry> = new Map();

/**
 * A realtime connection: WebSocket with the Tenon/RivetKit connection
 * protocol, automatic reconnect with backoff, event re-subscription, and
 * actions queued while (re)connecting.
 */
export class ActorConnImpl {
	readonly #transport: ClientTransport;
	readonly #source: ConnTargetSource;
	#status: ConnStatus = "idle";
	#socket: WebSocket | undefined;
	#disposed = false;
	#attempt = 0;
	#reconnectTimer: ReturnType<typeof setTimeout> | undefined;
	/** Fails a socket the server has not opened (handshake and `Init`) in time. */
	#openTimer: ReturnType<typeof setTimeout> | undefined;
	/** Checks, on Node's `ws`, that an open socket still hears from the server (see #startHeartbeat). */
	#heartbeatTimer: ReturnType<typeof setInterval> | undefined;
	/** Something came from the server since the last heartbeat check. */
	#heard = false;
	/** A ping went out at the last check, unanswered so far. */
	#pinged = false;
	#nextActionId = 0;
	#inFlight = new Map<number, InFlight>();
	/** Messages waiting for the connection to open (actions; subscriptions are re-sent from #listeners). */
	#queued: Array<{ message: ToServer; inFlight?: InFlight; id?: number }> = [];
	#listeners = new Map<string, Set<Listener>>();
	/**
	 * Events whose last listener went while the socket was down: a resumed
	 * connection keeps the subscriptions the server stored with it, so the
	 * unsubscribe goes out when it opens again.
	 */
	#unsentUnsubscribes = new Set<string>();
	#errorHandlers = new Set<(error: ActorError) => void>();
	#openHandlers = new Set<() => void>();
	#closeHandlers = new Set<() => void>();
	#statusHandlers = new Set<(status: ConnStatus) => void>();
	/** A connection-level error the server sent before closing (carries the full message). */
	#serverError: ActorError | undefined;
	/** Why the connection gave up reconnecting, if it did. */
	#fatalError: ActorError | undefined;
	actorId: string | undefined;
	connectionId: string | undefined;
	/** A random secret that lets this connection resume after its socket was lost (never sent to others). */
	readonly #resumeToken = newResumeToken();
	/** The actor's shared state and presence, made on first use. */
	#sharedState: SharedStateView | undefined;
	#presence: PresenceView | undefined;

	constructor(transport: ClientTransport, source: ConnTargetSource) {
		this.#transport = transport;
		this.#source = source;
	}

	get connStatus(): ConnStatus {
		return this.#status;
	}

	/** Begins connecting. */
	start(): void {
		void this.#connect();
	}

	#setStatus(status: ConnStatus): void {
		if (this.#status === status) return;
		this.#status = status;
		for (const handler of [...this.#statusHandlers]) this.#safely(() => handler(status));
	}

	#safely(run: () => unknown): void {
		callSafely(run, (error) => console.error("tenon: a connection callback threw", error));
	}

	async #connect(): Promise<void> {
		if (this.#disposed) return;
		this.#setStatus("connecting");
		this.#serverError = undefined;
		let socket: WebSocket;
		try {
			const [url, params, WebSocketClass] = await Promise.all([
				this.#source.url(),
				this.#source.params(),
				this.#transport.webSocketClass(),
			]);
			if (this.#disposed) return;
			const protocols = ["rivet", `rivet_encoding.${this.#transport.encoding}`];
			if (params !== undefined) protocols.push(`rivet_conn_params.${encodeParamsProtocol(params)}`);
			// The secret this client chose for its connection, and after the first
			// `Init` its id: a lost socket (network, server restart or crash)
			// resumes the same connection, with its conn state.
			protocols.push(`rivet_conn_token.${this.#resumeToken}`);
			if (this.connectionId !== undefined) protocols.push(`rivet_conn.${this.connectionId}`);
			const socketUrl = url.replace(/^http/, "ws");
			try {
				socket = new WebSocketClass(socketUrl, protocols);
			} catch (error) {
				// The constructor refuses what no retry changes (an invalid URL, a
				// port the browser blocks): one error, and the connection gives up.
				const refused = new ActorError(
					"client",
					"connect_failed",
					`Cannot open a WebSocket to ${socketUrl}: ${String(error)}`,
				);
				this.#emitError(refused);
				this.#giveUp(refused);
				return;
			}
		} catch (error) {
			const actorError =
				error instanceof ActorError
					? error
					: new ActorError("client", "connect_failed", String(error));
			this.#emitError(actorError);
			if (isFatal(0, actorError)) this.#giveUp(actorError);
			else this.#scheduleReconnect();
			return;
		}
		socket.binaryType = "arraybuffer";
		const nodeWs = socket as unknown as NodeWsEvents;
		// Node's `ws` (the only WebSocket with an `on` method) can hand over the
		// frame's own bytes (a Buffer, which is a Uint8Array) where "arraybuffer"
		// copies each frame into a new ArrayBuffer. Others are not asked:
		// Chromium logs a console warning for the value, and undici turns it
		// into "blob". It is kept only when the socket took it.
		if (typeof nodeWs.on === "function") {
			socket.binaryType = "nodebuffer" as BinaryType;
			if ((socket.binaryType as string) !== "nodebuffer") socket.binaryType = "arraybuffer";
		}
		this.#socket = socket;
		if (typeof nodeWs.on === "function") {
			// Pongs (and the server's own pings) say the server is there.
			const heard = () => {
				if (socket === this.#socket) this.#heard = true;
			};
			nodeWs.on("pong", heard);
			nodeWs.on("ping", heard);
		}
		if ((socket.binaryType as string) === "nodebuffer" && typeof nodeWs.on === "function") {
			// Node's `ws` (the only WebSocket that takes "nodebuffer"): its own event hands
			// over the frame, where its addEventListener wraps each one in a MessageEvent.
			nodeWs.on("message", (data, isBinary) =>
				this.#onMessage(socket, isBinary ? data : data.toString("utf8")),
			);
		} else socket.addEventListener("message", (event) => this.#onMessage(socket, event.data));
		socket.addEventListener("close", (event) => this.#onClose(socket, event.code, event.reason));
		socket.addEventListener("error", () => {
			// The close event follows with the details.
		});
		// A server that takes the TCP connection, or even the upgrade, and then
		// says nothing would leave the connection "connecting" forever, its
		// queued calls with it (no WebSocket has a handshake timeout by default).
		const timeoutMs = this.#transport.connectTimeoutMs;
		if (timeoutMs <= 0) return;
		this.#openTimer = setTimeout(() => {
			this.#openTimer = undefined;
			this.#abandon(
				socket,
				new ActorError(
					"client",
					"connect_timeout",
					`The server did not open the connection within ${timeoutMs} ms`,
				),
				4000,
				true,
			);
		}, timeoutMs);
	}

	#clearOpenTimer(): void {
		if (this.#openTimer === undefined) return;
		clearTimeout(this.#openTimer);
		this.#openTimer = undefined;
	}

	/**
	 * On Node's `ws`, an open socket the server went silent on (a peer gone
	 * without closing: a crashed host, a network that dropped it) would keep
	 * the connection "connected", and its calls waiting, forever. Every
	 * `heartbeatMs` that heard nothing from the server sends a ping; the next
	 * one that still heard nothing drops the socket, and the connection
	 * reconnects. Browsers have no ping to send (their sockets are theirs to watch).
	 */
	#startHeartbeat(socket: WebSocket): void {
		this.#stopHeartbeat();
		const intervalMs = this.#transport.heartbeatMs;
		const pingable = socket as unknown as { ping?(): void; on?: unknown };
		if (intervalMs <= 0 || typeof pingable.ping !== "function" || typeof pingable.on !== "function")
			return;
		this.#heard = false;
		this.#pinged = false;
		this.#heartbeatTimer = setInterval(() => {
			if (socket !== this.#socket) return;
			if (this.#heard) {
				this.#heard = false;
				this.#pinged = false;
			} else if (!this.#pinged) {
				this.#pinged = true;
				if (socket.readyState === WS_OPEN) pingable.ping?.();
			} else {
				this.#abandon(
					socket,
					new ActorError(
						"client",
						"connection_lost",
						`The server did not answer a ping within ${intervalMs} ms; the outcome of calls in flight is unknown`,
					),
					4000,
					true,
				);
			}
		}, intervalMs);
		// An open socket keeps the process alive already; the check itself must not.
		(this.#heartbeatTimer as { unref?(): void }).unref?.();
	}

	#stopHeartbeat(): void {
		if (this.#heartbeatTimer === undefined) return;
		clearInterval(this.#heartbeatTimer);
		this.#heartbeatTimer = undefined;
	}

	/**
	 * Gives up on `socket` without waiting for the server (which may never
	 * answer): it is closed (`cut`: dropped where the WebSocket can), nothing
	 * it still delivers is read, the calls in flight fail with `error`, which
	 * is reported, and the connection reconnects with backoff.
	 */
	#abandon(socket: WebSocket, error: ActorError, code: number, cut: boolean): void {
		if (socket !== this.#socket) return;
		this.#socket = undefined;
		this.#emitError(error);
		closeSocket(socket, code, `${error.group}.${error.code}`, cut);
		this.#lost(1006, undefined, error);
	}

	#onMessage(socket: WebSocket, data: unknown): void {
		if (socket !== this.#socket) return;
		this.#heard = true;
		let message: ReturnType<typeof decodeToClient>;
		try {
			const frame =
				typeof data === "string" || data instanceof Uint8Array
					? data
					: new Uint8Array(data as ArrayBuffer);
			message = decodeToClient(this.#transport.encoding, frame);
		} catch (error) {
			this.#badMessage(socket, error instanceof Error ? error.message : String(error));
			return;
		}
		switch (message.tag) {
			case "Init":
				if (!CONNECTION_ID.test(message.connectionId)) {
					this.#badMessage(socket, "a connection id that is not a token of 1 to 128 characters");
					return;
				}
				this.#clearOpenTimer();
				this.#startHeartbeat(socket);
				this.actorId = message.actorId;
				this.connectionId = message.connectionId;
				this.#attempt = 0;
				this.#setStatus("connected");
				for (const eventName of this.#unsentUnsubscribes) {
					this.#send({ tag: "SubscriptionRequest", eventName, subscribe: false });
				}
				this.#unsentUnsubscribes.clear();
				for (const eventName of this.#listeners.keys()) {
					this.#send({ tag: "SubscriptionRequest", eventName, subscribe: true });
				}
				this.#flushQueue();
				this.#presence?.reopened();
				for (const handler of [...this.#openHandlers]) this.#safely(handler);
				return;
			case "ActionResponse": {
				const id = Number(message.id);
				const pending = this.#inFlight.get(id);
				this.#inFlight.delete(id);
				pending?.resolve(message.output);
				return;
			}
			case "Error": {
				const error = actorErrorFromPayload(message.error);
				if (message.actionId !== null) {
					const id = Number(message.actionId);
					const pending = this.#inFlight.get(id);
					this.#inFlight.delete(id);
					pending?.reject(error);
					return;
				}
				this.#serverError = error;
				this.#emitError(error);
				return;
			}
			case "Event": {
				const listeners = this.#listeners.get(message.name);
				if (!listeners) return;
				// A copy: listeners added by a callback hear the next event, not this one.
				for (const listener of [...listeners]) {
					if (listener.once) this.#removeListener(message.name, listener);
					this.#safely(() => listener.callback(...message.args));
				}
				return;
			}
		}
	}

	/**
	 * Past a frame it cannot read the stream cannot be trusted (an answer may
	 * be lost in it): the calls in flight fail, their outcome unknown, nothing
	 * more is read from this socket, and the connection starts over on a new one.
	 */
	#badMessage(socket: WebSocket, reason: string): void {
		const failed = new ActorError(
			"client",
			"bad_message",
			`The server sent a message the client cannot read (${reason}); the outcome of calls in flight is unknown`,
		);
		// 4002: browsers let scripts close only with 1000 or 3000-4999.
		this.#abandon(socket, failed, 4002, false);
	}

	#onClose(socket: WebSocket, code: number, reason: string): void {
		if (socket !== this.#socket) return;
		this.#socket = undefined;
		const closeError = closeCause(reason, this.#serverError);
		const lost =
			closeError ??
			new ActorError(
				"client",
				"connection_lost",
				`Connection lost (code ${code}${reason ? `, ${reason}` : ""})`,
			);
		this.#lost(code, closeError, lost);
	}

	/** The socket is gone (closed, or abandoned): calls in flight fail with `lost`; reconnect unless `code` says not to. */
	#lost(code: number, closeError: ActorError | undefined, lost: ActorError): void {
		this.#clearOpenTimer();
		this.#stopHeartbeat();
		const wasConnected = this.#status === "connected";
		for (const pending of this.#inFlight.values()) pending.reject(lost);
		this.#inFlight.clear();
		if (this.#disposed) return;
		if (wasConnected) for (const handler of [...this.#closeHandlers]) this.#safely(handler);
		if (closeError && closeError.group === "actor" && closeError.code === "not_found")
			this.#source.staleTarget();
		if (isFatal(code, closeError)) {
			if (closeError && closeError !== this.#serverError) this.#emitError(closeError);
			this.#giveUp(closeError ?? lost);
			return;
		}
		this.#setStatus("disconnected");
		this.#scheduleReconnect();
	}

	#scheduleReconnect(): void {
		if (this.#disposed) return;
		this.#setStatus("disconnected");
		const base = Math.min(
			this.#transport.reconnectMaxDelayMs,
			this.#transport.reconnectMinDelayMs * 2 ** Math.min(this.#attempt, 16),
		);
		this.#attempt++;
		// Clamped: a huge maxDelayMs must not overflow Node's timer (it would fire at once).
		const delay = Math.min(base * (0.5 + Math.random() * 0.5), 2_147_483_647);
		this.#reconnectTimer = setTimeout(() => {
			this.#reconnectTimer = undefined;
			void this.#connect();
		}, delay);
	}

	#giveUp(error: ActorError): void {
		this.#fatalError = error;
		for (const entry of this.#queued) entry.inFlight?.reject(error);
		this.#queued = [];
		this.#setStatus("idle");
	}

	#emitError(error: ActorError): void {
		for (const handler of [...this.#errorHandlers]) this.#safely(() => handler(error));
	}

	#send(message: ToServer): boolean {
		const socket = this.#socket;
		if (socket === undefined || socket.readyState !== WS_OPEN || this.#status !== "connected")
			return false;
		// On Node's `ws`, the messages of one tick (calls made by a burst of
		// replies' callbacks, or a loop) leave in one write; browsers: nothing.
		corkUntilTickEnd(socket);
		socket.send(encodeToServer(this.#transport.encoding, message) as string | ArrayBuffer);
		return true;
	}

	#flushQueue(): void {
		const queued = this.#queued;
		this.#queued = [];
		for (const entry of queued) {
			if (entry.inFlight && entry.id !== undefined) this.#inFlight.set(entry.id, entry.inFlight);
			if (!this.#send(entry.message)) {
				if (entry.id !== undefined) this.#inFlight.delete(entry.id);
				this.#queued.push(entry);
			}
		}
	}

	/** Calls an action on the connection (queued until connected). */
	action(call: ActionCall): Promise<unknown> {
		if (this.#disposed)
			return Promise.reject(new ActorError("client", "disposed", "The connection was disposed"));
		if (this.#fatalError) return Promise.reject(this.#fatalError);
		const id = this.#nextActionId++;
		return new Promise<unknown>((resolve, reject) => {
			const signal = call.signal;
			const inFlight: InFlight =
				signal === undefined
					? { name: call.name, resolve, reject }
					: abortableCall(call.name, signal, resolve, reject, () => {
							this.#inFlight.delete(id);
							this.#queued = this.#queued.filter((entry) => entry.id !== id);
						});
			// The caller's trace context rides along (JSON and CBOR; BARE's schema has no field for it).
			const traceparent = this.#transport.encoding === "bare" ? undefined : activeTraceparent();
			const message: ToServer =
				traceparent === undefined
					? { tag: "ActionRequest", id, name: call.name, args: call.args ?? [] }
					: { tag: "ActionRequest", id, name: call.name, args: call.args ?? [], traceparent };
			if (signal?.aborted) {
				reject(signal.reason);
				return;
			}
			this.#inFlight.set(id, inFlight);
			if (!this.#send(message)) {
				this.#inFlight.delete(id);
				this.#queued.push({ message, inFlight, id });
			}
		});
	}

	// biome-ignore lint/suspicious/noExplicitAny: stored listeners of every event's argument types; each was typed where it was registered.
	on(name: string, callback: (...args: any[]) => void): () => void {
		return this.#addListener(name, { callback, once: false });
	}

	// biome-ignore lint/suspicious/noExplicitAny: stored listeners of every event's argument types; each was typed where it was registered.
	once(name: string, callback: (...args: any[]) => void): () => void {
		return this.#addListener(name, { callback, once: true });
	}

	#addListener(name: string, listener: Listener): () => void {
		let listeners = this.#listeners.get(name);
		if (!listeners) {
			listeners = new Set();
			this.#listeners.set(name, listeners);
			this.#unsentUnsubscribes.delete(name);
			this.#send({ tag: "SubscriptionRequest", eventName: name, subscribe: true });
		}
		listeners.add(listener);
		return () => this.#removeListener(name, listener);
	}

	/**
	 * Removes a listener (an unsubscribe call, or a `once` one that fired); the
	 * last one of an event ends the server's subscription, and a reconnect
	 * does not subscribe to it again.
	 */
	#removeListener(name: string, listener: Listener): void {
		const current = this.#listeners.get(name);
		if (!current?.delete(listener) || current.size > 0) return;
		this.#listeners.delete(name);
		const sent = this.#send({ tag: "SubscriptionRequest", eventName: name, subscribe: false });
		// Only a connection the server knows (one that opened before) can resume with it.
		if (!sent && this.connectionId !== undefined) this.#unsentUnsubscribes.add(name);
	}

	#syncHost(): SyncHost {
		return {
			on: (name, callback) => this.on(name, callback),
			action: (call) => this.action(call),
			resubscribe: (name) => {
				this.#send({ tag: "SubscriptionRequest", eventName: name, subscribe: false });
				this.#send({ tag: "SubscriptionRequest", eventName: name, subscribe: true });
			},
		};
	}

	/** The actor's shared state (`shareState`), once the first snapshot arrived. */
	get sharedState(): unknown {
		return this.#sharedState?.value;
	}

	/** Calls `callback` with the shared state now (if known) and after every change. */
	onSharedState(callback: (state: unknown) => void): () => void {
		this.#sharedState ??= new SharedStateView(this.#syncHost());
		return this.#sharedState.listen(callback);
	}

	/** Everyone's presence on the actor, by connection id (this connection's included). */
	get presence(): ReadonlyMap<string, PresenceEntry> {
		return this.#presence?.entries ?? NO_PRESENCE;
	}

	/** Sets this client's presence (`null` clears it); kept until the connection ends. */
	setPresence(data: unknown): Promise<void> {
		this.#presence ??= new PresenceView(this.#syncHost());
		return this.#presence.set(data);
	}

	/** Calls `callback` with everyone's presence now and after every change. */
	onPresence(callback: (presence: ReadonlyMap<string, PresenceEntry>) => void): () => void {
		this.#presence ??= new PresenceView(this.#syncHost());
		return this.#presence.listen(callback);
	}

	onError(callback: (error: ActorError) => void): () => void {
		this.#errorHandlers.add(callback);
		return () => this.#errorHandlers.delete(callback);
	}

	onOpen(callback: () => void): () => void {
		this.#openHandlers.add(callback);
		return () => this.#openHandlers.delete(callback);
	}

	onClose(callback: () => void): () => void {
		this.#closeHandlers.add(callback);
		return () => this.#closeHandlers.delete(callback);
	}

	onStatusChange(callback: (status: ConnStatus) => void): () => void {
		this.#statusHandlers.add(callback);
		return () => this.#statusHandlers.delete(callback);
	}

	/** Closes the connection for good; pending actions reject with `client/disposed`. */
	async dispose(): Promise<void> {
		if (this.#disposed) return;
		this.#disposed = true;
		if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
		this.#clearOpenTimer();
		this.#stopHeartbeat();
		const disposed = new ActorError("client", "disposed", "The connection was disposed");
		for (const pending of this.#inFlight.values()) pending.reject(disposed);
		this.#inFlight.clear();
		for (const entry of this.#queued) entry.inFlight?.reject(disposed);
		this.#queued = [];
		const socket = this.#socket;
		this.#socket = undefined;
		const wasConnected = this.#status === "connected";
		this.#setStatus("idle");
		if (wasConnected) for (const handler of [...this.#closeHandlers]) this.#safely(handler);
		this.#source.onDispose(this);
		if (socket && socket.readyState <= WS_OPEN) {
			await new Promise<void>((resolve) => {
				// A server that does not answer the close within a second is not
				// waited for: the socket is cut (Node's `ws` would otherwise keep it,
				// and the process, 30 s more).
				const cut = setTimeout(() => {
					terminate(socket);
					resolve();
				}, 1000);
				socket.addEventListener("close", () => {
					clearTimeout(cut);
					resolve();
				});
				socket.close(1000, "client.disposed");
			});
		}
	}
}

/** Node's `ws` can drop a socket at once, without the closing handshake. */
interface Terminable {
	terminate?(): void;
}

function terminate(socket: WebSocket): void {
	const terminable = socket as unknown as Terminable;
	if (typeof terminable.terminate === "function") terminable.terminate();
}

/**
 * Closes a socket the client gave up on, with `code` and `reason`; with
 * `cut`, Node's `ws` drops it at once instead (a server that stopped
 * answering would not answer the closing handshake either).
 */
function closeSocket(socket: WebSocket, code: number, reason: string, cut: boolean): void {
	if (cut && typeof (socket as unknown as Terminable).terminate === "function") terminate(socket);
	else if (socket.readyState <= WS_OPEN) socket.close(code, reason);
}

/** The `message` event of Node's `ws` (a Buffer, text frames included). */
interface NodeWsEvents {
	on?(event: "message", listener: (data: Buffer, isBinary: boolean) => void): void;
	on?(event: "ping" | "pong", listener: () => void): void;
}

/** The public connection: its methods, and every other property an action. */
export function createConnProxy(conn: ActorConnImpl): unknown {
	const actions = new ActionProxies((name, args) => conn.action({ name, args }));
	return new Proxy(conn, {
		get(target, property) {
			if (typeof property === "symbol" || property === "then") return undefined;
			if (CONN_PROPERTIES.has(property)) return target[property as "connStatus"];
			if (CONN_METHODS.has(property)) {
				const method = target[property as "on"] as (...args: unknown[]) => unknown;
				return method.bind(target);
			}
			return actions.get(property);
		},
	});
}
