// The ids of a connection's actions not answered yet (ConnectionImpl.inFlightIds): the
// limits a call is admitted within, what a hibernation answers actor/stopped, and the
// pruning that keeps the map small.
import { type ActorError, errors, toErrorPayload } from "../../protocol/errors.js";
import type { Limits } from "../../protocol/limits.js";
import { type ActionId, encodeToClient } from "../../protocol/messages.js";
import type { ConnSocket } from "./conn-socket.js";
import type { ConnectionImpl } from "./connection.js";

/** A call whose frame counts with the server's held request bytes (see `ConnTransport.holdCall`). */
export interface HeldCall {
	readonly bytes: number;
	readonly socket: ConnSocket;
}

/**
 * The held calls of an actor's instance: each released as its action returns, and all when
 * the instance sleeps or stops. An action that never returned (it awaited something of the
 * instance that died with it) kept its bytes counted for good, until the node refused every
 * body and call (a review, 2026-11-29).
 */
export class HeldCalls {
	#calls: Set<HeldCall> | undefined;

	add(call: HeldCall): void {
		this.#calls ??= new Set();
		this.#calls.add(call);
	}

	/** Releases `call`'s bytes, once. */
	release(call: HeldCall): void {
		if (this.#calls?.delete(call)) call.socket.releaseCall(call.bytes);
	}

	releaseAll(): void {
		if (this.#calls === undefined) return;
		for (const call of this.#calls) call.socket.releaseCall(call.bytes);
		this.#calls.clear();
	}
}

/**
 * Admits an action call (`id`, of `bytes` when its frame counts) on `conn`: counted in its
 * `inFlight` and `inFlightIds` (the caller's `#action` counts it out) and, its bytes, in
 * `held`; returns that record (undefined: not counted), or the error to answer it with.
 */
export function admitCall(
	conn: ConnectionImpl,
	id: ActionId,
	bytes: number | undefined,
	core: { limits: Limits; durableGeneration: number },
	held: HeldCalls,
): ActorError | HeldCall | undefined {
	// The client counts only the current socket's calls (a resume leaves the others lost to
	// it); those of replaced sockets still running get as many again.
	const max = core.limits.maxInFlightActionsPerConnection;
	if (conn.inFlight >= max || conn.inFlight + conn.replacedInFlight >= 2 * max)
		return errors.tooManyInFlight(max);
	// Its frame counts with the server's held request bytes until it returns: 32 sockets'
	// calls of 60 KB to an action that waits held 491 MB uncounted (see server/held-bodies.ts).
	let call: HeldCall | undefined;
	if (bytes) {
		const socket = conn.transport as ConnSocket;
		const refused = socket.holdCall(bytes);
		if (refused !== undefined) return refused;
		call = { bytes, socket };
		held.add(call);
	}
	conn.inFlight++;
	if (conn.inFlightIds === undefined) conn.inFlightIds = new Map();
	else if (conn.inFlightIds.size >= 2 * max) pruneSent(conn.inFlightIds, core);
	conn.inFlightIds.set(id, 0);
	return call;
}

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
