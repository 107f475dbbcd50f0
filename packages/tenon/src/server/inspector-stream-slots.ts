// How many inspector streams (state and event streams) may be open at once.
// Each holds a commit watcher or an event follower and a keepalive timer for
// as long as its client stays, so they are counted per server, per token
// role and per caller.

import { ActorError } from "../protocol/errors.js";
import type { ActorGateway } from "../runtime/actor-gateway.js";

/** Streams open at once on one server (state and event streams together). */
export const MAX_STREAMS = 100;
/**
 * Of those, the most the read-only role may hold: the rest stay for admins
 * (a read-only holder took all 100, and the admin's streams were refused).
 */
export const MAX_READ_ONLY_STREAMS = 80;
/**
 * The most one caller (one token role from one client address) may hold: one
 * caller held every slot of its role, and every other operator was refused.
 */
export const MAX_STREAMS_PER_CALLER = 20;

/** The role of an inspector credential. */
export type InspectorRole = "admin" | "inspector";

/** Who opens a stream. */
export interface StreamCaller {
	readonly role: InspectorRole;
	/**
	 * The key the server's per-address limits count the client against (its
	 * address, an IPv6 one by its /64); undefined where they do not apply: in
	 * process, no address known, or loopback unless `rateLimits.limitLoopback`
	 * (a reverse proxy on the same host, or a framework the server is mounted
	 * in, shows every client as one).
	 */
	readonly addressKey: string | undefined;
}

/** Which cap refused a stream. */
type StreamScope = "node" | "role" | "caller";

function refused(scope: StreamScope, limit: number): ActorError {
	const whose = { node: "this server", role: "this token", caller: "this client" }[scope];
	return new ActorError(
		"limit",
		"too_many_requests",
		`Too many inspector streams are open for ${whose} (at most ${limit}); close one or retry later`,
		{ scope, limit },
	);
}

/**
 * The key a caller's streams count against (its role and address key), or
 * undefined when no per-caller cap applies: where the server's per-address
 * limits do not (until 2026-11-26 loopback was never capped, whatever
 * `rateLimits.limitLoopback` said).
 */
function callerKey(caller: StreamCaller): string | undefined {
	return caller.addressKey === undefined ? undefined : `${caller.role} ${caller.addressKey}`;
}

/** One server's stream slots. */
class StreamSlots {
	#open = 0;
	#readOnly = 0;
	readonly #byCaller = new Map<string, number>();

	/**
	 * Takes a slot for `caller`; returns its release (which may be called more
	 * than once). Throws `limit/too_many_requests` (`metadata.scope`: `node`,
	 * `role` or `caller`) when none is left for it.
	 */
	take(caller: StreamCaller): () => void {
		const readOnly = caller.role === "inspector";
		const key = callerKey(caller);
		const ofCaller = key === undefined ? 0 : (this.#byCaller.get(key) ?? 0);
		// The narrowest cap first: a caller at its own is told to close one of its streams.
		if (ofCaller >= MAX_STREAMS_PER_CALLER) throw refused("caller", MAX_STREAMS_PER_CALLER);
		if (readOnly && this.#readOnly >= MAX_READ_ONLY_STREAMS)
			throw refused("role", MAX_READ_ONLY_STREAMS);
		if (this.#open >= MAX_STREAMS) throw refused("node", MAX_STREAMS);
		this.#open++;
		if (readOnly) this.#readOnly++;
		if (key !== undefined) this.#byCaller.set(key, ofCaller + 1);
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.#open--;
			if (readOnly) this.#readOnly--;
			if (key === undefined) return;
			const left = (this.#byCaller.get(key) ?? 1) - 1;
			if (left <= 0) this.#byCaller.delete(key);
			else this.#byCaller.set(key, left);
		};
	}
}

/**
 * Each server's slots, by its gateway. Until 2026-11-26 they were module
 * state: every server in a process (a cluster's nodes in one process, tests)
 * shared one count, and streams open on one refused another's.
 */
const slotsByServer = new WeakMap<ActorGateway, StreamSlots>();

/** Takes one of `actors`'s server's stream slots for `caller` (see {@link StreamSlots.take}). */
export function takeStreamSlot(actors: ActorGateway, caller: StreamCaller): () => void {
	let slots = slotsByServer.get(actors);
	if (slots === undefined) {
		slots = new StreamSlots();
		slotsByServer.set(actors, slots);
	}
	return slots.take(caller);
}
