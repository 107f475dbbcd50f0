import { createHash, timingSafeEqual } from "node:crypto";
import { clientGoneError } from "../../common/client-gone.js";
import { callAsync, withTimeout } from "../../common/timeouts.js";
import { errors, toErrorPayload } from "../../protocol/errors.js";
import { encodeToClient } from "../../protocol/messages.js";
import type { Caller } from "../caller.js";
import { closeReason, refusalCloseCode } from "./close-codes.js";
import { takeOrphan } from "./conn-restore.js";
import { ConnSocket } from "./conn-socket.js";
import type { ConnectionImpl, ConnPersistence } from "./connection.js";
import type { ConnectionHub } from "./connection-hub.js";
import { PendingLinkTransport } from "./pending-link.js";

/**
 * What a client presents to resume its connection after its socket was lost
 * (a network drop, a server restart or crash): the connection id `Init`
 * gave it, and the secret it offered when it first connected.
 */
export interface ResumeRequest {
	readonly connId: string | undefined;
	readonly token: string | undefined;
	/**
	 * A link from the node holding the connection's socket (cluster peers
	 * only: the server checked the cluster secret): the stored connection
	 * continues on the link, without token or hooks.
	 */
	readonly linkFrom?: string | undefined;
}

/** What opening connections needs from the actor besides its hub. */
export interface OpeningDeps {
	/** Runs the connect hooks for a new connection (params schema, onBeforeConnect, createConnState). */
	prepare(caller: Caller, socket: ConnSocket): Promise<ConnectionImpl>;
	/**
	 * Checks a caller resuming a stored connection (params schema,
	 * onBeforeConnect, which sees the connection's id and state); returns its
	 * checked params.
	 */
	admit(caller: Caller, resuming: { id: string; state: unknown }): Promise<unknown>;
	/** How a new connection persists; undefined when the actor's connections do not hibernate. */
	persistence(tokenHash: Uint8Array | undefined): ConnPersistence | undefined;
	readonly connectTimeout: number;
}

/** SHA-256 of a resume token (only the hash is stored). */
export function hashToken(token: string): Uint8Array {
	return new Uint8Array(createHash("sha256").update(token, "utf8").digest());
}

function tokenMatches(stored: Uint8Array | undefined, token: string): boolean {
	if (stored === undefined || stored.byteLength !== 32) return false;
	return timingSafeEqual(stored, hashToken(token));
}

/**
 * Opens a realtime connection on `socket`: a client that presents a known
 * connection id and its token resumes that connection (its id, params and
 * conn state; `onBeforeConnect` checks it again, `createConnState` and
 * `onConnect` do not run); otherwise a new one is made (connect hooks,
 * registration, `onConnect`). Then `Init` goes out through the output gate,
 * after the connection's record is durable. On refusal the socket gets an
 * `Error` frame and is closed with a code (1008 for caller errors and what the hooks
 * threw, 1011 otherwise: see {@link refusalCloseCode}) and a `group.code` reason; false
 * is returned.
 */
export async function openConnection(
	hub: ConnectionHub,
	deps: OpeningDeps,
	caller: Caller,
	socket: ConnSocket,
	resume: ResumeRequest | undefined,
): Promise<boolean> {
	const { core, hooks } = hub.deps;
	let conn: ConnectionImpl | undefined;
	try {
		if (resume?.linkFrom !== undefined) {
			if (
				resume.connId === undefined ||
				!linkConnection(hub, socket, resume.connId, resume.linkFrom)
			)
				throw errors.connectionNotFound();
			return true;
		}
		if (resume?.connId !== undefined && resume.token !== undefined) {
			if (await resumeConnection(hub, deps, caller, socket, resume.connId, resume.token))
				return true;
		}
		const release = core.reserveConnection();
		try {
			conn = await core.track(deps.prepare(caller, socket));
			const persistence = deps.persistence(
				resume?.token === undefined ? undefined : hashToken(resume.token),
			);
			if (persistence !== undefined) conn.persist(persistence);
			conn.holder = hub.deps.nodeId;
			hub.add(conn);
		} finally {
			release();
		}
		const onConnect = hooks.onConnect;
		if (onConnect) {
			const opened = conn;
			const timeout = deps.connectTimeout;
			await core.track(
				withTimeout(
					callAsync(() => onConnect(hub.deps.hookContext(opened), opened)),
					core.clock,
					timeout,
					() => errors.hookTimedOut("onConnect", timeout),
				),
			);
		}
		core.afterTurn();
	} catch (error) {
		if (conn) {
			hub.closed(conn, false);
			hub.deps.records.removed(conn);
		}
		refuse(hub, socket, error);
		return false;
	}
	attach(hub, conn, socket);
	return true;
}

/** Answers a refused socket with an `Error` frame and closes it. */
function refuse(hub: ConnectionHub, socket: ConnSocket, error: unknown): void {
	const { core, sockets } = hub.deps;
	const payload = toErrorPayload(core.publicError(error, "connect"), core.exposeInternalErrors);
	sockets.forget(socket);
	socket.send(encodeToClient(socket.encoding, { tag: "Error", error: payload, actionId: null }));
	socket.close(refusalCloseCode(error, payload), closeReason(`${payload.group}.${payload.code}`));
	core.maybeIdle();
}

/**
 * The socket now carries `conn`: input flows to the actor, and `Init` goes
 * out, through the output gate (the client learns its connection id only
 * once the connection is stored). On a link the holder swallows `Init` (its
 * client had one long ago): it goes first, ahead of frames that still wait.
 */
function attach(hub: ConnectionHub, conn: ConnectionImpl, socket: ConnSocket, link = false): void {
	socket.connId = conn.id;
	socket.attach(hub.targetFor(conn));
	const init = encodeToClient(socket.encoding, {
		tag: "Init",
		actorId: hub.deps.core.actorId,
		connectionId: conn.id,
	});
	if (link) socket.send(init);
	else hub.enqueue(conn, init);
}

/**
 * Resumes the connection `connId` on a new socket when `token` is its
 * secret. False when there is no such connection or the token does not
 * match (the caller then gets a new connection: nothing tells it which).
 */
async function resumeConnection(
	hub: ConnectionHub,
	deps: OpeningDeps,
	caller: Caller,
	socket: ConnSocket,
	connId: string,
	token: string,
): Promise<boolean> {
	const found = (): ConnectionImpl | undefined => hub.conns.get(connId) ?? hub.orphans.get(connId);
	const conn = found();
	if (conn === undefined || conn.kind !== "connect" || !tokenMatches(conn.tokenHash, token))
		return false;
	const { core } = hub.deps;
	const params = await core.track(deps.admit(caller, { id: conn.id, state: conn.state }));
	// It may have closed or been resumed elsewhere while the hooks ran.
	if (found() !== conn) return false;
	// Or this socket closed meanwhile: moved onto it, the connection closed its working old
	// socket and then closed for good, a stored one was deleted before its resume timeout (an
	// attacker probe, 2026-11-27). It stays as it was.
	if (socket.gone) throw clientGoneError();
	// The old socket, when this node holds it, is released and closed there.
	// The transport may also be a link from the node that held the socket
	// before (the owner changed): that is not a socket to close here.
	moveConnection(hub, conn, socket, hub.deps.nodeId, false);
	conn.params = params;
	dropGatedSubscriptions(hub, conn);
	conn.changed();
	attach(hub, conn, socket);
	core.afterTurn();
	return true;
}

/**
 * Drops `conn`'s subscriptions to events with a `canSubscribe` check: a resumed connection
 * subscribes to them through the check again (Tenon's and RivetKit's clients send their
 * subscriptions again on every open). Kept, a user the check refused while the socket was
 * lost (out of `c.conns`, so no `disconnect()` could reach it) kept getting its events (an
 * attacker probe, 2026-11-29).
 */
function dropGatedSubscriptions(hub: ConnectionHub, conn: ConnectionImpl): void {
	const events = hub.deps.hooks.events;
	if (events === undefined) return;
	let dropped = false;
	for (const name of [...conn.subscriptions])
		if (Object.hasOwn(events, name) && events[name]?.canSubscribe !== undefined)
			dropped = conn.unsubscribe(name) || dropped;
	if (dropped) conn.subscriptionsChanged();
}

/**
 * Moves `conn` to `socket` (its client's new socket, or a link from the node
 * holding it): the old socket, if any, no longer stands for it.
 */
function moveConnection(
	hub: ConnectionHub,
	conn: ConnectionImpl,
	socket: ConnSocket,
	holder: string | undefined,
	linked: boolean,
): void {
	const previous = conn.transport;
	if (previous instanceof ConnSocket && previous !== socket) {
		// The client replaced its socket (the old one may not even know yet). Its
		// presence goes with it: the others see it until the connection goes (dropped
		// here, they were never told it went: a review, 2026-11-26).
		if (socket.presence === null) socket.presence = previous.presence;
		previous.release();
		hub.deps.sockets.forget(previous);
		previous.close(1000, "conn.resumed_elsewhere");
		// Frames held for the old socket never reached this client; the client
		// treats actions it sent before as lost (their replies are not sent either).
		conn.dropHeld();
		conn.socketsReplaced++;
		conn.replacedInFlight += conn.inFlight;
		conn.inFlight = 0;
		conn.inFlightIds?.clear();
	}
	// Frames still waiting on durability for a connection awaiting its link
	// are this client's: they follow on the link, in order.
	conn.moveTo(socket);
	hub.stopAwaitingLink(conn);
	if (conn.holder !== holder) {
		conn.holder = holder;
		conn.changed();
	}
	conn.linked = linked;
	if (takeOrphan(hub, conn)) hub.add(conn);
	hub.waitingChanged();
}

/**
 * The node holding the socket of stored connection `connId` links it here
 * (this node owns the actor now). False when the connection is unknown.
 */
function linkConnection(
	hub: ConnectionHub,
	socket: ConnSocket,
	connId: string,
	holder: string,
): boolean {
	const conn = hub.conns.get(connId) ?? hub.orphans.get(connId);
	if (conn === undefined || conn.kind !== "connect") return false;
	const waiting = conn.transport;
	moveConnection(hub, conn, socket, holder, true);
	attach(hub, conn, socket, true);
	// Events sent while the link was on its way (durable already) follow the
	// swallowed Init at once, ahead of frames still waiting on durability.
	if (waiting instanceof PendingLinkTransport) {
		const { frames, close } = waiting.take();
		for (const frame of frames) socket.send(frame);
		if (close !== undefined) hub.disconnect(conn, close[1], close[0]);
	}
	hub.deps.core.afterTurn();
	return true;
}
