import { callAsync } from "../../common/timeouts.js";
import { CLOSE } from "./close-codes.js";
import type { ConnRecord } from "./conn-records.js";
import type { ConnSocket } from "./conn-socket.js";
import { ConnectionImpl, type ConnPersistence } from "./connection.js";
import type { ConnectionHub } from "./connection-hub.js";
import { PendingLinkTransport } from "./pending-link.js";

/**
 * Brings an actor's stored connections back as it wakes (before `onWake`, so
 * `c.conns` shows them): a connection whose socket this node still holds
 * (it hibernated) is open again, with its id, params, conn state and
 * subscriptions; `onConnect` does not run again. A connection without a
 * socket here (its socket was lost in a restart or crash) waits to be
 * resumed by its client; see {@link expireOrphans}.
 */
export function restoreConnections(
	hub: ConnectionHub,
	records: ReadonlyMap<string, ConnRecord>,
	persistence: (record: ConnRecord) => ConnPersistence,
): void {
	const { core, sockets, links, nodeId } = hub.deps;
	const held = new Map<string, ConnSocket>();
	for (const socket of sockets.socketsOf(core.actorId))
		if (socket.connId !== undefined) held.set(socket.connId, socket);
	for (const [connId, record] of records) {
		if (record.kind !== "connect") continue;
		const socket = held.get(connId);
		// In a cluster, another node may hold the socket: it links it here once
		// told the actor is awake; until then the connection's events wait.
		const elsewhere =
			socket === undefined &&
			links !== undefined &&
			record.holder !== undefined &&
			record.holder !== nodeId;
		const transport = elsewhere
			? new PendingLinkTransport(
					record.encoding ?? "json",
					core.limits.maxInFlightActionsPerConnection,
				)
			: socket;
		const conn = new ConnectionImpl(
			hub,
			connId,
			record.params,
			record.state,
			transport,
			undefined,
			true,
		);
		for (const name of record.subscriptions) conn.subscribe(name);
		conn.persist(persistence(record), { stored: true });
		conn.holder = record.holder;
		if (socket !== undefined) hub.add(conn);
		else if (elsewhere) {
			hub.add(conn);
			hub.awaitLink(conn);
		} else hub.addOrphan(conn);
	}
	if (links === undefined) return;
	const holders = new Set<string>();
	for (const conn of hub.awaitingLink) if (conn.holder !== undefined) holders.add(conn.holder);
	for (const holder of holders) links.notifyHolder(holder, core.actorId);
}

/**
 * The actor is awake: restored connections take their sockets' input again
 * (what arrived while it slept first). Sockets this node holds for the actor
 * whose connection it no longer knows are closed, so their clients reconnect.
 */
export function attachSockets(hub: ConnectionHub): void {
	const { core, sockets } = hub.deps;
	for (const socket of sockets.socketsOf(core.actorId)) {
		if (socket.attached || socket.connId === undefined) continue;
		const conn = hub.conns.get(socket.connId);
		if (conn !== undefined && conn.transport === socket) {
			socket.attach(hub.targetFor(conn));
			continue;
		}
		core.log.warn("a held connection is unknown to its actor; closing it", {
			connId: socket.connId,
		});
		socket.release();
		sockets.forget(socket);
		socket.close(CLOSE.internal, "conn.lost");
	}
}

/**
 * Connections restored without a socket are given `resumeTimeoutMs` to be
 * resumed by their clients; those that are not are gone: their record is
 * deleted and `onDisconnect` runs. The actor stays awake until then.
 */
export function expireOrphans(hub: ConnectionHub, resumeTimeoutMs: number): void {
	if (!hub.waiting) return;
	const stop = awakeThen(hub, resumeTimeoutMs, () => {
		// Links that never came: their holder is gone too.
		for (const conn of [...hub.awaitingLink]) {
			hub.stopAwaitingLink(conn);
			hub.orphanUnlinked(conn);
		}
		// Those lost again since they were resumed wait their own time (keepLost).
		for (const conn of [...hub.orphans.values()]) if (!lostWaits.has(conn)) expireOrphan(hub, conn);
	});
	// Every one of them came back: nothing to wait for.
	hub.whenNoneWaiting(stop);
}

/**
 * Keeps the actor awake `ms`, then runs `expire` (in a turn of its own).
 * Stopping first (destroy, shutdown), or the returned function called, ends
 * the wait without it: the records stay for the next wake (or go with the actor).
 * `ended` runs once when the wait ends, either way.
 */
function awakeThen(
	hub: ConnectionHub,
	ms: number,
	expire: () => void,
	ended?: () => void,
): () => void {
	const { core } = hub.deps;
	let stop = () => {};
	let done = false;
	const end = () => {
		if (done) return;
		done = true;
		ended?.();
	};
	const waited = new Promise<void>((resolve) => {
		const timer = core.clock.setTimeout(() => {
			core.abortSignal.removeEventListener("abort", stop);
			end();
			expire();
			core.afterTurn();
			resolve();
		}, ms);
		stop = () => {
			core.clock.clearTimeout(timer);
			core.abortSignal.removeEventListener("abort", stop);
			end();
			resolve();
		};
		core.abortSignal.addEventListener("abort", stop, { once: true });
	});
	void core.keepAwake(waited);
	return stop;
}

/**
 * The wait of each connection kept by {@link keepLost}, ended when its client
 * resumes it ({@link takeOrphan}). A wait left running after a resume expired
 * the connection when it fired while a later loss of it waited (its client then
 * got a new connection, 1.2 s after that loss), and kept the actor awake (an
 * attacker probe, 2026-11-28).
 */
const lostWaits = new WeakMap<ConnectionImpl, () => void>();

/** `conn`'s client resumed it: it is no longer an orphan (false if it was not one). */
export function takeOrphan(hub: ConnectionHub, conn: ConnectionImpl): boolean {
	const stop = lostWaits.get(conn);
	if (stop !== undefined) {
		lostWaits.delete(conn);
		stop();
	}
	return hub.removeOrphan(conn);
}

/** An orphan its client did not resume in time: its record goes and `onDisconnect` runs. */
function expireOrphan(hub: ConnectionHub, conn: ConnectionImpl): void {
	const { core, hooks, records } = hub.deps;
	if (!hub.removeOrphan(conn)) return;
	conn.closed = true;
	records.removed(conn);
	const onDisconnect = hooks.onDisconnect;
	if (onDisconnect)
		void core
			.track(callAsync(() => onDisconnect(hub.deps.hookContext(conn), conn)))
			.catch((error: unknown) => core.log.error("onDisconnect threw", { error }));
}

/**
 * `conn`'s socket was lost (closed without a close frame: a network drop,
 * or in a cluster the node that relayed it died): a stored connection whose
 * client can prove it is that client (it offered a secret) waits
 * `connectionResumeTimeout` for it, out of `c.conns` (its presence goes), as
 * one restored without its socket does, the actor awake; then it is gone
 * (`onDisconnect`). Before
 * 2026-11-28 it was taken for a client that left, and a client reconnecting
 * after a network drop lost its conn state (a durability chaos probe).
 * False when the connection cannot be kept so (the caller closes it).
 */
export function keepLost(hub: ConnectionHub, conn: ConnectionImpl, code?: number): boolean {
	// Lost, or closed for a message over the limit: the client reconnects and resumes (before
	// 2026-11-28 one action with a 70 KB argument cost a client its connection and conn state).
	if ((code !== CLOSE.lost && code !== CLOSE.tooBig) || conn.closed || conn.kind !== "connect")
		return false;
	if (!conn.persisted || conn.tokenHash === undefined || hub.conns.get(conn.id) !== conn)
		return false;
	hub.orphanUnlinked(conn);
	const { core, presence } = hub.deps;
	conn.dropHeld();
	presence?.closed(conn);
	// The actor stays awake meanwhile, so `onDisconnect` runs in time for a client that does
	// not come back (asleep, it would run only at the next wake's own wait).
	lostWaits.get(conn)?.();
	// It counts against the address its socket came from while it waits (socket-slots.ts).
	const releaseAddress = conn.transport?.holdAddress?.();
	const stopWait = awakeThen(
		hub,
		core.options.connectionResumeTimeout,
		() => expireOrphan(hub, conn),
		() => {
			if (lostWaits.get(conn) === stopWait) lostWaits.delete(conn);
			releaseAddress?.();
		},
	);
	lostWaits.set(conn, stopWait);
	return true;
}
