import { type Encoding, encodedLength } from "../../protocol/encoding.js";
import { ActorError } from "../../protocol/errors.js";
import { encodeToClient } from "../../protocol/messages.js";
import type { ConnSocket } from "./conn-socket.js";
import type { ConnectionImpl } from "./connection.js";
import type { ConnectionHub } from "./connection-hub.js";

/**
 * Sends the shared state's and presence's frames, which Tenon sends on its
 * own (after a turn, when a client subscribes), where a thrown error reaches
 * nothing that catches it: before 2026-11-25, one subscribe to a shared
 * state over the outgoing limit (1 MiB) ended the process (an attacker
 * probe). A frame over the limit is not sent: its subscriber gets
 * `message/outgoing_too_long` (metadata `eventName`) and is unsubscribed, so
 * it gets no patch it could not apply; subscribing again retries.
 *
 * `gated`: the frame waits for the turn's writes to be durable (the state);
 * otherwise it leaves at once, behind frames already held (presence).
 */
export class SyncFrames {
	readonly #hub: ConnectionHub;
	/**
	 * Frames of messages sent, per encoding, while the message lives: a snapshot
	 * of the shared state is one object per version, sent again without encoding.
	 */
	readonly #frames = new WeakMap<object, Map<Encoding, string | Uint8Array | undefined>>();

	constructor(hub: ConnectionHub) {
		this.#hub = hub;
	}

	/** Sends `payload` as event `name` to `conn`, if it is subscribed. */
	send(conn: ConnectionImpl, name: string, payload: unknown, gated: boolean): void {
		if (conn.closed || conn.transport === undefined || !conn.subscriptions.has(name)) return;
		const frame = this.#frame(conn.transport.encoding, name, payload);
		if (frame === undefined) this.#tooLarge(conn, name);
		else if (gated) this.#hub.enqueue(conn, frame);
		else conn.enqueue(frame, 0, this.#hub.deps.core.durableGeneration);
	}

	/** Sends `payload` as event `name` to every subscriber (encoded once per encoding). */
	broadcast(name: string, payload: unknown, gated: boolean): void {
		const core = this.#hub.deps.core;
		const generation = gated ? core.outputGeneration() : 0;
		const durable = core.durableGeneration;
		const frames = new Map<Encoding, string | Uint8Array | null>();
		for (const conn of [...this.#hub.subscribersOf(name)]) {
			const encoding = (conn.transport as ConnSocket).encoding;
			let frame = frames.get(encoding);
			if (frame === undefined) {
				frame = this.#frame(encoding, name, payload) ?? null;
				frames.set(encoding, frame);
			}
			if (frame === null) this.#tooLarge(conn, name);
			else conn.enqueue(frame, generation, durable);
		}
	}

	#frame(encoding: Encoding, name: string, payload: unknown): string | Uint8Array | undefined {
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
		if (encodedLength(frame) > limit) frame = undefined;
		frames?.set(encoding, frame);
		return frame;
	}

	#tooLarge(conn: ConnectionImpl, name: string): void {
		if (conn.unsubscribe(name)) conn.changed();
		const limit = this.#hub.deps.core.limits.maxOutgoingMessageBytes;
		const message = `The '${name}' update for this connection exceeds the limit of ${limit} bytes; it is unsubscribed`;
		const error = new ActorError("message", "outgoing_too_long", message, {
			limit,
			eventName: name,
		});
		this.#hub.sendError(conn, error, null);
	}
}
