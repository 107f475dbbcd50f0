// A realtime connection to an actor: the socket's lifecycle and the frames it
// receives. Its parts live beside it: the calls (pending-calls.ts), the event
// subscriptions (event-subscriptions.ts), the open timeout and heartbeat
// (socket-liveness.ts), the delay between attempts (reconnect-backoff.ts), and
// what differs between Node's `ws` and browsers (socket-platform.ts).

import { callSafely } from "../common/call-safely.js";
import { corkUntilTickEnd } from "../common/ws-cork.js";
import { CONN_METHODS, CONN_PROPERTIES, SPECIAL_NAMES } from "../protocol/client-members.js";
import { ActorError } from "../protocol/errors.js";
import {
	actorErrorFromPayload,
	decodeToClient,
	encodeToServer,
	type ToServer,
} from "../protocol/messages.js";
import type { PresenceEntry } from "../protocol/sync-names.js";
import { ActionProxies } from "./action-proxy.js";
import { closeCause, disconnectedWith, isFatal, unrunAtClose } from "./close-cause.js";
import { EventSubscriptions } from "./event-subscriptions.js";
import { newResumeToken } from "./in-flight.js";
import { PendingCalls } from "./pending-calls.js";
import { ReconnectBackoff } from "./reconnect-backoff.js";
import { sendPace } from "./send-pace.js";
import { shownUrl, withoutSecrets } from "./shown-url.js";
import { SocketLiveness } from "./socket-liveness.js";
import {
	chooseBinaryType,
	closeSocket,
	closeWithin,
	isMessageTooLarge,
	onControlFrames,
	onDataFrames,
	WS_OPEN,
} from "./socket-platform.js";
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
	/** Sends a queue message to the actor (over HTTP, with the connection's params). */
	send(name: string, body: unknown, options: QueueSendOptions): Promise<unknown>;
}

/** Options of a queue send (see `ActorHandle.send`). */
export interface QueueSendOptions {
	wait?: boolean;
	timeout?: number;
	signal?: AbortSignal;
}

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
	readonly #backoff: ReconnectBackoff;
	readonly #liveness = new SocketLiveness({
		currentSocket: () => this.#socket,
		abandon: (socket, error) => this.#abandon(socket, error, 4000, true),
	});
	readonly #calls: PendingCalls;
	readonly #subscriptions = new EventSubscriptions({
		send: (message) => this.#send(message),
		resumable: () => this.connectionId !== undefined,
		safely: (run) => this.#safely(run),
	});
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
		this.#backoff = new ReconnectBackoff(transport);
		this.#calls = new PendingCalls(
			transport.encoding,
			(message) => this.#send(message),
			transport.maxInFlightActions,
			sendPace(transport.messageRate),
		);
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
					`Cannot open a WebSocket to ${shownUrl(socketUrl)}: ${withoutSecrets(String(error), socketUrl)}`,
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
		chooseBinaryType(socket);
		this.#socket = socket;
		onControlFrames(socket, () => {
			if (socket === this.#socket) this.#liveness.heard();
		});
		onDataFrames(socket, (data) => this.#onMessage(socket, data));
		socket.addEventListener("close", (event) => this.#onClose(socket, event.code, event.reason));
		socket.addEventListener("error", (event) => {
			// Node's `ws` refused a message over `maxMessageBytes`; any other error:
			// the close event follows with the details.
			if (!isMessageTooLarge(event)) return;
			const tooLarge = new ActorError(
				"client",
				"message_too_large",
				`The server sent a message over the client's maxMessageBytes (${this.#transport.maxMessageBytes} bytes)`,
			);
			this.#abandon(socket, tooLarge, 1009, true);
		});
		this.#liveness.opening(socket, this.#transport.connectTimeoutMs);
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
		this.#liveness.heard();
		let message: ReturnType<typeof decodeToClient>;
		try {
			const frame =
				typeof data === "string" || data instanceof Uint8Array
					? data
					: new Uint8Array(data as ArrayBuffer);
			message = this.#decode(frame);
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
				this.#liveness.opened(socket, this.#transport.heartbeatMs);
				this.actorId = message.actorId;
				this.connectionId = message.connectionId;
				this.#backoff.opened();
				this.#setStatus("connected");
				this.#subscriptions.opened();
				this.#calls.flush();
				this.#presence?.reopened();
				for (const handler of [...this.#openHandlers]) this.#safely(handler);
				return;
			case "ActionResponse":
				this.#calls.resolve(Number(message.id), message.output);
				return;
			case "Error": {
				const error = actorErrorFromPayload(message.error);
				if (message.actionId !== null) {
					this.#calls.reject(Number(message.actionId), error);
					return;
				}
				this.#serverError = error;
				this.#emitError(error);
				return;
			}
			case "Event":
				this.#subscriptions.dispatch(message.name, message.args);
				return;
		}
	}

	/**
	 * A frame in the connection's encoding. Before `Init`, a text frame to a
	 * binary connection may be a refusal in JSON from a server that read no
	 * encoding (Tenon before 2026-11-28 refused params over their limit so):
	 * read as such, it is the refusal, not a bad message reconnected after forever.
	 */
	#decode(frame: string | Uint8Array): ReturnType<typeof decodeToClient> {
		const encoding = this.#transport.encoding;
		try {
			return decodeToClient(encoding, frame);
		} catch (error) {
			if (typeof frame !== "string" || encoding === "json" || this.#status === "connected")
				throw error;
			let refusal: ReturnType<typeof decodeToClient>;
			try {
				refusal = decodeToClient("json", frame);
			} catch {
				throw error;
			}
			if (refusal.tag !== "Error" || refusal.actionId !== null) throw error;
			return refusal;
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
		const closeError =
			closeCause(reason, this.#serverError) ??
			(code === 1000 ? disconnectedWith(reason) : undefined);
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
		this.#liveness.stop();
		const wasConnected = this.#status === "connected";
		// Closed for the actor's sleep or the server's shutdown, a Tenon server answered every
		// call it ran first (actor/stopped if it was cut short): the calls still waiting never
		// ran, and are sent again on the next connection. They failed with the close's reason
		// before 2026-11-29, read as "outcome unknown" (a cluster walkthrough).
		if (unrunAtClose(code, closeError)) this.#calls.requeueInFlight();
		else this.#calls.failInFlight(lost);
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
		this.#backoff.schedule(() => void this.#connect());
	}

	#giveUp(error: ActorError): void {
		this.#fatalError = error;
		this.#calls.failQueued(error);
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

	/**
	 * Sends a queue message to the actor, as `handle.send` does (one HTTP
	 * request, with this connection's params), as RivetKit's `conn.send`.
	 */
	send(name: string, body: unknown, options: QueueSendOptions = {}): Promise<unknown> {
		if (this.#disposed)
			return Promise.reject(new ActorError("client", "disposed", "The connection was disposed"));
		return this.#source.send(name, body, options);
	}

	/** Calls an action on the connection (queued until connected). */
	action(call: ActionCall): Promise<unknown> {
		if (this.#disposed)
			return Promise.reject(new ActorError("client", "disposed", "The connection was disposed"));
		if (this.#fatalError) return Promise.reject(this.#fatalError);
		return this.#calls.start(call);
	}

	// biome-ignore lint/suspicious/noExplicitAny: stored listeners of every event's argument types; each was typed where it was registered.
	on(name: string, callback: (...args: any[]) => void): () => void {
		return this.#subscriptions.add(name, callback, false);
	}

	// biome-ignore lint/suspicious/noExplicitAny: stored listeners of every event's argument types; each was typed where it was registered.
	once(name: string, callback: (...args: any[]) => void): () => void {
		return this.#subscriptions.add(name, callback, true);
	}

	#syncHost(): SyncHost {
		return {
			on: (name, callback) => this.on(name, callback),
			action: (call) => this.action(call),
			resubscribe: (name) => this.#subscriptions.resubscribe(name),
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
		this.#backoff.cancel();
		this.#liveness.stop();
		const disposed = new ActorError("client", "disposed", "The connection was disposed");
		this.#calls.failInFlight(disposed);
		this.#calls.failQueued(disposed);
		const socket = this.#socket;
		this.#socket = undefined;
		const wasConnected = this.#status === "connected";
		this.#setStatus("idle");
		if (wasConnected) for (const handler of [...this.#closeHandlers]) this.#safely(handler);
		this.#source.onDispose(this);
		if (socket && socket.readyState <= WS_OPEN)
			await closeWithin(socket, 1000, "client.disposed", 1000);
	}
}

/** The public connection: its methods, and every other property an action. */
export function createConnProxy(conn: ActorConnImpl): unknown {
	const actions = new ActionProxies((name, args) => conn.action({ name, args }));
	return new Proxy(conn, {
		get(target, property) {
			if (typeof property === "symbol" || SPECIAL_NAMES.has(property)) return undefined;
			if (CONN_PROPERTIES.has(property)) return target[property as "connStatus"];
			if (CONN_METHODS.has(property)) {
				const method = target[property as "on"] as (...args: unknown[]) => unknown;
				return method.bind(target);
			}
			return actions.get(property);
		},
	});
}
