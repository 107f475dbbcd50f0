// The ids of a connection's actions not answered yet (ConnectionImpl.inFlightIds): what
// a hibernation answers actor/stopped, and the pruning that keeps the map small.
import { errors, toErrorPayload } from "../../protocol/errors.js";
import { type ActionId, encodeToClient } from "../../protocol/messages.js";
import type { ConnSocket } from "./conn-socket.js";
import type { ConnectionImpl } from "./connection.js";

/**
 * A hibernating connection's calls still running (past the sleep's grace period) get
 * `actor/stopped` on its socket, which stays open: their replies would go to a closed
 * connection, and the client waited for them for good (a walkthrough, 2026-11-28). What
 * they write from now on is lost with the actor's sleep, as over HTTP.
 */
export function answerStopped(
	conn: ConnectionImpl,
	socket: ConnSocket,
	durable: number,
	expose: boolean,
): void {
	const ids = conn.inFlightIds;
	if (ids === undefined || ids.size === 0) return;
	const error = toErrorPayload(errors.actorStopped(), expose);
	// Running (0), or its reply held for writes the last commit did not include (an attacker
	// probe, 2026-11-28: a call that returned during the final commit hung for good).
	for (const [actionId, waitsFor] of ids)
		if (waitsFor === 0 || waitsFor > durable)
			socket.send(encodeToClient(socket.encoding, { tag: "Error", error, actionId }));
	ids.clear();
}

/** Drops the entries of replies whose writes are durable (they were sent). */
export function pruneSent(ids: Map<ActionId, number>, core: { durableGeneration: number }): void {
	const durable = core.durableGeneration;
	for (const [actionId, waitsFor] of ids)
		if (waitsFor !== 0 && waitsFor <= durable) ids.delete(actionId);
}
