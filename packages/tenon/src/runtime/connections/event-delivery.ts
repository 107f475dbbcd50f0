// Events to connections: encoded once per encoding, sent through the output
// gate, and after the patch of a shared-state change the code made before
// them (shared-state.ts), so a client sees changes and events in order.
import { isCallingUserCode } from "../../common/timeouts.js";
import { type Encoding, encodedLength } from "../../protocol/encoding.js";
import { errors } from "../../protocol/errors.js";
import { encodeToClient } from "../../protocol/messages.js";
import type { ActorCore } from "../actor-core.js";
import type { ConnSocket } from "./conn-socket.js";
import type { ConnectionImpl } from "./connection.js";
import type { SharedStateSync } from "./shared-state.js";

/**
 * An event's frame, or undefined when it is over the outgoing limit: then
 * thrown to the code that sent it while Tenon calls it (an action or hook
 * up to its first `await`), logged otherwise (from a timer the app set, a
 * throw would end the process).
 */
function eventFrame(
	core: ActorCore,
	encoding: Encoding,
	name: string,
	args: unknown[],
): string | Uint8Array | undefined {
	const frame = encodeToClient(encoding, { tag: "Event", name, args: core.toRaw(args) });
	const limit = core.limits.maxOutgoingMessageBytes;
	if (encodedLength(frame) <= limit) return frame;
	const error = errors.outgoingTooLong(`Event '${name}'`, limit);
	if (isCallingUserCode()) throw error;
	core.log.error("an event over the outgoing limit was not sent", { event: name, limit });
	return undefined;
}

/** Runs `send` now, or after the next shared-state patch when a change waits for one. */
function afterChanges(sync: SharedStateSync | undefined, send: () => void): void {
	if (sync?.holdsEvents()) sync.afterPatch(send);
	else send();
}

/** Sends an event to every open connection of `conns` subscribed to it but `except`'s. */
export function broadcastEvent(
	core: ActorCore,
	sync: SharedStateSync | undefined,
	conns: Iterable<ConnectionImpl>,
	name: string,
	args: unknown[],
	except?: string,
): void {
	const targets: ConnectionImpl[] = [];
	for (const conn of conns)
		if (!conn.closed && conn.subscriptions.has(name) && conn.id !== except) targets.push(conn);
	if (targets.length === 0) return;
	const frames = new Map<Encoding, string | Uint8Array | undefined>();
	for (const conn of targets) {
		const encoding = (conn.transport as ConnSocket).encoding;
		if (!frames.has(encoding)) frames.set(encoding, eventFrame(core, encoding, name, args));
	}
	const generation = core.outputGeneration();
	afterChanges(sync, () => {
		const durable = core.durableGeneration;
		for (const conn of targets) {
			const frame = frames.get((conn.transport as ConnSocket).encoding);
			if (frame !== undefined) conn.enqueue(frame, generation, durable);
		}
	});
}

/** Sends an event to one connection, if it is subscribed to it. */
export function sendEventTo(
	core: ActorCore,
	sync: SharedStateSync | undefined,
	conn: ConnectionImpl,
	name: string,
	args: unknown[],
): void {
	if (conn.closed || conn.transport === undefined || !conn.subscriptions.has(name)) return;
	const frame = eventFrame(core, conn.transport.encoding, name, args);
	if (frame === undefined) return;
	const generation = core.outputGeneration();
	afterChanges(sync, () => conn.enqueue(frame, generation, core.durableGeneration));
}
