import { type Encoding, encodedLength } from "../../protocol/encoding.js";
import { ActorError } from "../../protocol/errors.js";
import { encodeToClient } from "../../protocol/messages.js";
import type { ConnSocket } from "./conn-socket.js";
import type { ConnectionImpl } from "./connection.js";
import type { ConnectionHub } from "./connection-hub.js";

/**
 * What a sync message is: the shared state's (through the output gate, and
 * within the outgoing limit) or presence's (at once, behind frames already
 * held; not bounded by the limit: its size is bounded by the connections'
 * presence, and refusing it would deny presence to every newcomer).
 */
export type SyncKind = "state" | "presence";

/**
 * Sends the shared state's and presence's frames, which Tenon sends on its
 * own (after a turn, when a client subscribes), where a thrown error reaches
 * nothing that catches it: before 2026-11-25, one subscribe to a shared
 * state over the outgoing limit (1 MiB) ended the process (an attacker
 * probe). A state message over the limit is not sent: its connection gets
 * `message/outgoing_too_long` (metadata `eventName`, once until a message
 * reaches it again) and stays subscribed; `tooLarge` makes the sync send it
 * a snapshot at the next change, which reaches it once the state fits.
 */
export class SyncFrames {
	readonly #hub: ConnectionHub;
	readonly #tooLarge: (conn: ConnectionImpl) => void;
	/**
	 * Frames of messages sent, per encoding, while the message lives: a snapshot
	 * of the shared state is one object per version, sent again without encoding.
	 */
	readonly #frames = new WeakMap<object, Map<Encoding, string | Uint8Array | undefined>>();
	/** Connections told their update was too large, and not sent one since. */
	readonly #told = new WeakSet<ConnectionImpl>();
	#toldCount = 0;

	constructor(hub: ConnectionHub, tooLarge: (conn: ConnectionImpl) => void) {
		this.#hub = hub;
		this.#tooLarge = tooLarge;
	}

	/** Sends `payload` as event `name` to `conn`, if it is subscribed. */
	send(conn: ConnectionImpl, name: string, payload: unknown, kind: SyncKind): void {
		if (conn.closed || conn.transport === undefined || !conn.subscriptions.has(name)) return;
		const frame = this.#frame(conn.transport.encoding, name, payload, kind);
		if (frame === undefined) this.#refuse(conn, name);
		else if (kind === "state") {
			this.#sent(conn);
			this.#hub.enqueue(conn, frame);
		} else conn.enqueue(frame, 0, this.#hub.deps.core.durableGeneration);
	}

	/**
	 * Sends `payload` as event `name` to every subscriber but `skip` (encoded
	 * once per encoding); returns how many frames it sent.
	 */
	broadcast(
		name: string,
		payload: unknown,
		kind: SyncKind,
		skip?: ReadonlySet<ConnectionImpl>,
	): number {
		const core = this.#hub.deps.core;
		const generation = kind === "state" ? core.outputGeneration() : 0;
		const durable = core.durableGeneration;
		let sent = 0;
		for (const conn of [...this.#hub.subscribersOf(name)]) {
			if (skip?.has(conn)) continue;
			const frame = this.#frame((conn.transport as ConnSocket).encoding, name, payload, kind);
			if (frame === undefined) this.#refuse(conn, name);
			else {
				if (kind === "state") this.#sent(conn);
				conn.enqueue(frame, generation, durable);
				sent++;
			}
		}
		return sent;
	}

	#frame(
		encoding: Encoding,
		name: string,
		payload: unknown,
		kind: SyncKind,
	): string | Uint8Array | undefined {
		let frames: Map<Encoding, string | Uint8Array | undefined> | undefined;
		if (typeof payload === "object" && payload !== null) {
			frames = this.#frames.get(payload);
			if (frames?.has(encoding)) return frames.get(encoding);
			if (frames === undefined) {
				frames = new Map();
				this.#frames.set(payload, frames);
			}
		}
		let frame: string | Uint8Array | undefined = encodeToClient(encoding, {
			tag: "Event",
			name,
			args: [payload],
		});
		const limit = this.#hub.deps.core.limits.maxOutgoingMessageBytes;
		if (kind === "state" && encodedLength(frame) > limit) frame = undefined;
		frames?.set(encoding, frame);
		return frame;
	}

	#sent(conn: ConnectionImpl): void {
		if (this.#toldCount > 0 && this.#told.delete(conn)) this.#toldCount--;
	}

	#refuse(conn: ConnectionImpl, name: string): void {
		this.#tooLarge(conn);
		if (this.#told.has(conn)) return;
		this.#told.add(conn);
		this.#toldCount++;
		const limit = this.#hub.deps.core.limits.maxOutgoingMessageBytes;
		const message = `The '${name}' update for this connection exceeds the limit of ${limit} bytes; it is sent a snapshot once the state fits`;
		const error = new ActorError("message", "outgoing_too_long", message, {
			limit,
			eventName: name,
		});
		this.#hub.sendError(conn, error, null);
	}
}
