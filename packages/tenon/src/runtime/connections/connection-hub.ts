import type { Conn } from "../../actor/context.js";
import type { AccessCheck, EventDecls } from "../../actor/events.js";
import { newRequestId } from "../../common/request-id.js";
import { callAsync } from "../../common/timeouts.js";
import { traceWsAction, tracingOn } from "../../observability/tracing.js";
import { encodedLength } from "../../protocol/encoding.js";
import { ActorError, errors, toErrorPayload } from "../../protocol/errors.js";
import {
	type ActionId,
	encodeActionResponse,
	encodeToClient,
	type ToClient,
	type ToServer,
} from "../../protocol/messages.js";
import { PRESENCE_ACTION } from "../../protocol/sync-names.js";
import type { ActorCore } from "../actor-core.js";
import { stoppingPayload } from "../stopping-refusal.js";
import { CLOSE, type CloseKind, closeReason } from "./close-codes.js";
import type { ConnWriteSource } from "./conn-records.js";
import { keepLost } from "./conn-restore.js";
import type { ConnSocket, ConnTarget } from "./conn-socket.js";
import { type ConnectionImpl, type ConnOwner, MAX_HELD_SIZE } from "./connection.js";
import { broadcastEvent, sendEventTo } from "./event-delivery.js";
import { HeldReplyTimes } from "./held-reply-times.js";
import { HubTarget } from "./hub-target.js";
import { admitCall, answerStopped, type HeldCall, HeldCalls } from "./in-flight-ids.js";
import { type ConnectionLinks, LINK_HIBERNATE, linkHibernateReason } from "./links.js";
import type { Presence } from "./presence.js";
import type { SharedStateSync } from "./shared-state.js";
import type { SocketRegistry } from "./socket-registry.js";
import { Subscriptions } from "./subscriptions.js";

/** What an actor without connections reads (never written: the hub makes its own on the first entry). */
const NO_CONNS: ReadonlyMap<string, ConnectionImpl> = new Map();
const NO_LINKS: ReadonlySet<ConnectionImpl> = new Set();

/** Connection hooks of the actor definition. */
export interface ConnectionHooks {
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	onConnect?: ((c: any, conn: Conn<any, any, any>) => void | Promise<void>) | undefined;
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	onDisconnect?: ((c: any, conn: Conn<any, any, any>) => void | Promise<void>) | undefined;
	/** Event declarations (their `canSubscribe` checks). */
	events?: EventDecls | undefined;
}

/** What the hub needs besides the actor's core. */
export interface HubDeps {
	readonly core: ActorCore;
	readonly hooks: ConnectionHooks;
	/** The `c` `onConnect`/`onDisconnect` of `conn` get (calls counted from its request). */
	hookContext(conn: ConnectionImpl): unknown;
	/** The `c` an access check of `conn` gets. */
	checkContext(conn: ConnectionImpl): Parameters<AccessCheck>[0];
	/** The node's sockets (they outlive this actor's wake). */
	readonly sockets: SocketRegistry;
	/** Where connection records are written. */
	readonly records: ConnWriteSource;
	/** True until the instance has stopped: `onDisconnect` runs while awake or stopping. */
	running(): boolean;
	/** In a cluster: this node's id, stored as the holder of sockets it holds. */
	readonly nodeId: string | undefined;
	/** In a cluster: how sockets held by other nodes are reached. */
	readonly links: ConnectionLinks | undefined;
	/** The actor's shared state (`shareState`), when it shares one. */
	readonly sync: SharedStateSync | undefined;
	/** The actor's presence (`presence`), when it has one. */
	readonly presence: Presence | undefined;
}

/**
 * An actor's realtime connections while it is awake: actions and
 * subscriptions on them, events through the output gate, and closing them.
 * The sockets belong to the node ({@link SocketRegistry}); the hub attaches
 * to them while the actor is awake and lets go when it sleeps, leaving them
 * open (hibernated). Opening, resuming and restoring connections are in
 * `conn-opening.ts` and `conn-restore.ts`.
 */
export class ConnectionHub implements ConnOwner {
	readonly #deps: HubDeps;
	readonly #core: ActorCore;
	// Most awake actors have no connection: the three collections are made on
	// their first entry (reads see a shared empty one until then).
	#conns: Map<string, ConnectionImpl> | undefined;
	#orphans: Map<string, ConnectionImpl> | undefined;
	#awaitingLink: Set<ConnectionImpl> | undefined;
	/** Called once no stored connection waits for its client or its link any more. */
	#onNoneWaiting: (() => void) | undefined;
	/** Open connections that are not persisted: they keep the actor awake. */
	#unpersisted = 0;

	/** Made on the first subscription change or presence update. */
	#subscriptions: Subscriptions | undefined;
	/** Made on the first reply held while metrics are on. */
	#heldTimes: HeldReplyTimes | undefined;
	readonly #heldCalls = new HeldCalls();

	constructor(deps: HubDeps) {
		this.#deps = deps;
		this.#core = deps.core;
	}

	/** Open connections by id. */
	get conns(): ReadonlyMap<string, ConnectionImpl> {
		return this.#conns ?? NO_CONNS;
	}

	/** Open connections by id, as `c.conns` shows them (the hub's own map: a kept reference sees later ones). */
	liveConns(): ReadonlyMap<string, ConnectionImpl> {
		this.#conns ??= new Map();
		return this.#conns;
	}

	/** Stored connections without a socket since a restart: their clients may resume them. */
	get orphans(): ReadonlyMap<string, ConnectionImpl> {
		return this.#orphans ?? NO_CONNS;
	}

	/** `conn` was restored without a socket: its client may resume it. */
	addOrphan(conn: ConnectionImpl): void {
		this.#orphans ??= new Map();
		this.#orphans.set(conn.id, conn);
	}

	/** `conn` is no longer an orphan (resumed, or given up on); false if it was not one. */
	removeOrphan(conn: ConnectionImpl): boolean {
		return this.#orphans?.delete(conn.id) ?? false;
	}

	/** Open connections whose socket another node holds, until it links it here. */
	get awaitingLink(): ReadonlySet<ConnectionImpl> {
		return this.#awaitingLink ?? NO_LINKS;
	}

	/** `conn` is open, its socket held by another node that has not linked it here yet. */
	awaitLink(conn: ConnectionImpl): void {
		this.#awaitingLink ??= new Set();
		this.#awaitingLink.add(conn);
	}

	/** `conn` no longer waits for its link (linked, moved, or given up on). */
	stopAwaitingLink(conn: ConnectionImpl): void {
		this.#awaitingLink?.delete(conn);
	}

	/** An open connection whose link never came waits for its client as an orphan instead. */
	orphanUnlinked(conn: ConnectionImpl): void {
		if (this.#conns?.get(conn.id) !== conn) return;
		this.#conns.delete(conn.id);
		if (!conn.persisted) this.#unpersisted--;
		this.addOrphan(conn);
	}

	get #subs(): Subscriptions {
		this.#subscriptions ??= new Subscriptions(this, this.#deps);
		return this.#subscriptions;
	}

	get size(): number {
		return this.conns.size;
	}

	/** Open connections that are stored (they hibernate when the actor sleeps). */
	get persistedCount(): number {
		return this.conns.size - this.#unpersisted;
	}

	/** Connections that keep the actor awake: those that cannot hibernate. */
	get keepingAwake(): number {
		return this.#unpersisted;
	}

	get deps(): HubDeps {
		return this.#deps;
	}

	/** True while stored connections wait to be resumed by their clients or linked by their holders. */
	get waiting(): boolean {
		return this.orphans.size > 0 || this.awaitingLink.size > 0;
	}

	/** Calls `listener` once nothing waits any more (see {@link waiting}). */
	whenNoneWaiting(listener: () => void): void {
		this.#onNoneWaiting = listener;
	}

	/** A waiting connection was resumed or linked (or given up on). */
	waitingChanged(): void {
		if (this.waiting || this.#onNoneWaiting === undefined) return;
		const listener = this.#onNoneWaiting;
		this.#onNoneWaiting = undefined;
		listener();
	}

	/** Open connections subscribed to `eventName`. */
	*subscribersOf(eventName: string): Iterable<ConnectionImpl> {
		for (const conn of this.conns.values())
			if (!conn.closed && conn.subscriptions.has(eventName)) yield conn;
	}

	/** Registers an open connection (it then shows in `c.conns`). */
	add(conn: ConnectionImpl): void {
		this.#conns ??= new Map();
		this.#conns.set(conn.id, conn);
		if (!conn.persisted) this.#unpersisted++;
	}

	/** A connection stopped being persisted (its state could not be stored). */
	unpersisted(conn: ConnectionImpl): void {
		if (this.conns.has(conn.id)) this.#unpersisted++;
	}

	#remove(conn: ConnectionImpl): boolean {
		if (!this.#conns?.delete(conn.id)) return false;
		if (!conn.persisted) this.#unpersisted--;
		return true;
	}

	/** What a socket's input is handed to while this actor is attached to it. */
	targetFor(conn: ConnectionImpl): ConnTarget {
		return new HubTarget(this, conn);
	}

	/** `conn`'s socket closed: its client left, or it was lost and waits for it (keepLost). */
	socketClosed(conn: ConnectionImpl, code?: number): void {
		if (this.#deps.running() && keepLost(this, conn, code)) return;
		this.closed(conn, this.#deps.running());
	}

	/** Queues `frame` behind the writes made so far; returns the generation it waits for. */
	enqueue(conn: ConnectionImpl, frame: string | Uint8Array): number {
		const generation = this.#core.outputGeneration();
		conn.enqueue(frame, generation, this.#core.durableGeneration);
		return generation;
	}

	/** Handles one decoded message from a connection (`bytes`: its frame's size, when counted). */
	handleMessage(conn: ConnectionImpl, message: ToServer, bytes?: number): void {
		switch (message.tag) {
			case "SubscriptionRequest":
				this.#subs.change(conn, message.eventName, message.subscribe);
				return;
			case "ActionRequest": {
				if (message.name === PRESENCE_ACTION) {
					this.#subs.setPresence(conn, message.id, message.args);
					return;
				}
				const held = admitCall(conn, message.id, bytes, this.#core, this.#heldCalls);
				if (held instanceof ActorError) {
					this.sendError(conn, held, message.id);
					return;
				}
				// #action counts itself out (a promise less per action than a `finally` here).
				// Untraced (the common case): no closures for a span.
				if (!tracingOn()) {
					void this.#action(conn, message.id, message.name, message.args, undefined, held);
					return;
				}
				void traceWsAction(
					this.#core.traced,
					message.name,
					message.traceparent,
					(failed) => this.#action(conn, message.id, message.name, message.args, failed, held),
					(generation) => this.#core.whenDurable(generation),
				);
				return;
			}
		}
	}

	/** Sends a frame that depends on no write (presence): at once, unless held frames are ahead of it. */
	sendUngated(conn: ConnectionImpl, message: ToClient): void {
		if (conn.closed || conn.transport === undefined) return;
		conn.enqueue(encodeToClient(conn.transport.encoding, message), 0, this.#core.durableGeneration);
	}

	/** Sends an error for an action id (or the connection) through the gate. */
	sendError(conn: ConnectionImpl, error: unknown, actionId: ActionId | null): void {
		if (conn.transport === undefined) return;
		const payload = toErrorPayload(error, this.#core.exposeInternalErrors);
		this.enqueue(
			conn,
			encodeToClient(conn.transport.encoding, { tag: "Error", error: payload, actionId }),
		);
	}

	/**
	 * Runs an action (in `conn.inFlight` until it returns); the generation its reply waits for
	 * (undefined: none, or no reply: see `socketsReplaced`). `failed` hears its error; `held`,
	 * its counted bytes (in-flight-ids.ts), are released as it returns.
	 */
	async #action(
		conn: ConnectionImpl,
		id: ActionId,
		name: string,
		args: unknown[],
		failed?: (error: unknown) => void,
		held?: HeldCall,
	): Promise<number | undefined> {
		const encoding = (conn.transport as ConnSocket).encoding;
		const socketsReplaced = conn.socketsReplaced;
		// Subscription changes sent before it on this connection apply first (read as it arrives:
		// this runs at once up to its first await); see subscriptions (a walkthrough, 2026-11-28).
		const subscribing = conn.subscriptionsPending;
		let frame: string | Uint8Array;
		// Each message action gets its own request id for the lines its `c.log` writes.
		const requestId = newRequestId();
		try {
			try {
				if (subscribing !== undefined) {
					await subscribing;
					// Closed or resumed on another socket meanwhile: not run, as if lost on the way (its
					// client counts it lost); it ran after onDisconnect before (a review, 2026-11-29).
					if (conn.closed || conn.socketsReplaced !== socketsReplaced) return undefined;
				}
				const now = this.#core.invokeNow(name, args, conn, requestId);
				frame = encodeActionResponse(encoding, id, now instanceof Promise ? await now : now);
				const limit = this.#core.limits.maxOutgoingMessageBytes;
				if (encodedLength(frame) > limit)
					throw errors.outgoingTooLong(`The response of '${name}'`, limit);
			} catch (error) {
				failed?.(error);
				const shown = this.#core.publicError(error, `action '${name}'`, requestId);
				const payload = stoppingPayload(
					shown,
					toErrorPayload(shown, this.#core.exposeInternalErrors),
				);
				frame = encodeToClient(encoding, { tag: "Error", error: payload, actionId: id });
			}
		} finally {
			if (conn.socketsReplaced === socketsReplaced) conn.inFlight--;
			else conn.replacedInFlight--;
			if (held !== undefined) this.#heldCalls.release(held);
		}
		if (conn.closed || conn.socketsReplaced !== socketsReplaced) return undefined; // a resume
		const generation = this.enqueue(conn, frame);
		if (generation <= this.#core.durableGeneration) {
			conn.inFlightIds?.delete(id);
			return undefined; // it leaves at once
		}
		// Held for its writes: a hibernation before they are durable answers it (see answerStopped).
		conn.inFlightIds?.set(id, generation);
		const metrics = this.#core.metrics;
		if (metrics.records) {
			this.#heldTimes ??= new HeldReplyTimes(metrics);
			this.#heldTimes.held(generation);
		}
		return generation;
	}

	/**
	 * The socket of `conn` closed: unregister it, forget its record and run `onDisconnect`
	 * (while the actor runs; a connection that goes while its actor sleeps wakes it for this).
	 */
	closed(conn: ConnectionImpl, actorRunning: boolean): void {
		if (conn.closed) return;
		conn.closed = true;
		conn.dropHeld();
		if (!this.#remove(conn)) return;
		this.#deps.presence?.closed(conn);
		const onDisconnect = this.#deps.hooks.onDisconnect;
		if (!actorRunning) {
			// Stopping for good (destroy or shutdown): a kept record resumes or expires later.
			this.#core.maybeIdle();
			return;
		}
		this.#deps.records.removed(conn);
		if (onDisconnect) {
			void this.#core
				.track(callAsync(() => onDisconnect(this.#deps.hookContext(conn), conn)))
				.catch((error: unknown) => this.#core.log.error("onDisconnect threw", { error }));
		} else {
			this.#core.afterTurn();
		}
	}

	/** Sends an event to every subscribed connection but `except`'s (see event-delivery.ts). */
	broadcast(name: string, args: unknown[], except?: string): void {
		broadcastEvent(this.#core, this.#deps.sync, this.conns.values(), name, args, except);
	}

	/** What a connection may hold for durability: 16 MiB, or two of the largest messages. */
	get maxHeldSize(): number {
		return Math.max(MAX_HELD_SIZE, 2 * this.#core.limits.maxOutgoingMessageBytes);
	}

	get maxHeldOnNode(): number {
		return this.#core.limits.maxHeldBytesPerNode;
	}

	sendEvent(conn: ConnectionImpl, name: string, args: unknown[]): void {
		sendEventTo(this.#core, this.#deps.sync, conn, name, args);
	}

	disconnect(conn: ConnectionImpl, reason: string | undefined, code: number = CLOSE.normal): void {
		if (conn.closed || conn.transport === undefined) return;
		// Let frames already held (replies, events) go out first.
		const generation = this.#core.outputGeneration();
		void this.#core.whenDurable(generation).then(
			() => {
				conn.release(this.#core.durableGeneration);
				conn.transport?.close(code, closeReason(reason ?? "actor.disconnect"));
				// Gone for the actor now, not when its client answers the close (2026-11-29).
				this.closed(conn, this.#deps.running());
			},
			() => {},
		);
	}

	/** Sends held frames whose writes are now durable. */
	release(generation: number): void {
		this.#heldTimes?.released(generation);
		for (const conn of this.conns.values()) if (conn.hasHeldFrames) conn.release(generation);
	}

	/**
	 * The actor starts to go to sleep: persisted connections stop taking input (held by their
	 * sockets, it wakes the actor again once it has slept; a link's is dropped, and its holder
	 * sends it again after the link ends); their output still flows until the last commit.
	 */
	suspend(): void {
		this.#deps.presence?.flush();
		for (const conn of this.conns.values())
			if (conn.persisted && !conn.closed) (conn.transport as ConnSocket).detach(conn.linked);
	}

	/**
	 * The actor has slept, its last commit durable: persisted connections hibernate (their
	 * sockets stay open on the node); the others close with 1012 so their clients reconnect.
	 */
	hibernate(): void {
		const durable = this.#core.durableGeneration;
		for (const conn of [...this.conns.values()]) {
			conn.release(durable);
			conn.closed = true;
			const socket = conn.transport as ConnSocket;
			// Calls still running get actor/stopped (see closeAll), whether the socket stays.
			if (!conn.linked) answerStopped(conn, socket, durable, this.#core.exposeInternalErrors);
			if (conn.persisted && !conn.linked) continue;
			this.#deps.sockets.forget(socket);
			// A link from the holder node ends (the holder keeps the client's socket); released first.
			socket.release();
			if (conn.linked) socket.close(LINK_HIBERNATE, linkHibernateReason(socket.taken));
			else socket.close(CLOSE.restart, "actor.sleeping");
		}
		this.#conns?.clear();
		this.#unpersisted = 0;
		this.#heldTimes?.ended();
		this.#heldCalls.releaseAll();
	}

	/** Closes every connection (after sending what is durable). */
	closeAll(kind: CloseKind): void {
		if (kind === "sleep") {
			this.hibernate();
			return;
		}
		const [code, reason] =
			kind === "destroy"
				? [CLOSE.normal, "actor.destroyed"]
				: [CLOSE.goingAway, "core.shutting_down"];
		const durable = this.#core.durableGeneration;
		for (const conn of [...this.conns.values()]) {
			conn.release(durable);
			conn.closed = true;
			const socket = conn.transport as ConnSocket | undefined;
			if (socket === undefined) continue;
			this.#deps.sockets.forget(socket);
			// Calls still running get actor/stopped, not the close's `core/shutting_down` ("never
			// ran": 2026-11-29); a destroy's `actor/destroyed` is true of them as it is.
			if (kind === "shutdown")
				answerStopped(conn, socket, durable, this.#core.exposeInternalErrors);
			socket.close(code, reason);
		}
		this.#conns?.clear();
		this.#unpersisted = 0;
		this.#heldTimes?.ended();
		this.#heldCalls.releaseAll();
	}

	/**
	 * Drops every connection without sending held frames (the actor is being reset). With
	 * `keepHeld` (a wake that failed), sockets it had not attached yet stay with their registry.
	 */
	dropAll(code: number = CLOSE.internal, reason = "core.internal_error", keepHeld = false): void {
		this.#heldTimes?.ended();
		this.#heldCalls.releaseAll();
		for (const conn of [...this.conns.values()]) {
			conn.dropHeld();
			conn.closed = true;
			const socket = conn.transport as ConnSocket | undefined;
			if (socket === undefined || (keepHeld && socket.attached === false)) continue;
			this.#deps.sockets.forget(socket);
			socket.close(code, reason);
		}
		this.#conns?.clear();
		this.#unpersisted = 0;
	}
}
