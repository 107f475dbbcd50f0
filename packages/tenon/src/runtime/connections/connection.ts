import type { CallerRequest, Conn } from "../../actor/context.js";
import type { Encoding } from "../../protocol/encoding.js";

/**
 * The server side of a client connection, as the runtime sees it. The server
 * layer implements it over a WebSocket; frames are already encoded.
 */
export interface ConnTransport {
	readonly encoding: Encoding;
	send(frame: string | Uint8Array): void;
	close(code: number, reason: string): void;
}

/** What a connection needs from its actor. */
export interface ConnOwner {
	/** Sends an event to one connection, through the output gate. */
	sendEvent(conn: ConnectionImpl, name: string, args: unknown[]): void;
	/** Closes a connection from the actor side. */
	disconnect(conn: ConnectionImpl, reason: string | undefined): void;
}

interface HeldFrame {
	generation: number;
	frame: string | Uint8Array;
}

/** A connection: the user-facing {@link Conn} plus the runtime's outbox. */
// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
export class ConnectionImpl implements Conn<any, any, any> {
	readonly id: string;
	readonly params: unknown;
	state: unknown;
	readonly isEphemeral: boolean;
	readonly transport: ConnTransport | undefined;
	/**
	 * The request of a short-lived connection (a stateless action, queue send
	 * or raw request), for `c.request`. Realtime connections keep none.
	 */
	readonly request: CallerRequest | undefined;
	/** Event names the client subscribed to. */
	readonly subscriptions = new Set<string>();
	/** True once the socket closed (or the actor closed it). */
	closed = false;
	/** Actions received on this connection and not answered yet. */
	inFlight = 0;
	/** Subscription changes waiting on a `canSubscribe` check, in arrival order. */
	subscriptionsPending: Promise<void> | undefined;
	readonly #owner: ConnOwner;
	/** Frames waiting for their writes to become durable, in order. */
	#held: HeldFrame[] | undefined;

	constructor(
		owner: ConnOwner,
		id: string,
		params: unknown,
		state: unknown,
		transport: ConnTransport | undefined,
		request: CallerRequest | undefined = undefined,
	) {
		this.#owner = owner;
		this.id = id;
		this.params = params;
		this.state = state;
		this.transport = transport;
		this.isEphemeral = transport === undefined;
		this.request = transport === undefined ? request : undefined;
	}

	send(name: string, ...args: unknown[]): void {
		this.#owner.sendEvent(this, name, args);
	}

	disconnect(reason?: string): void {
		this.#owner.disconnect(this, reason);
	}

	/** True when frames are waiting on durability. */
	get hasHeldFrames(): boolean {
		return this.#held !== undefined && this.#held.length > 0;
	}

	/**
	 * Sends `frame` once `generation` is durable, keeping order with frames
	 * held before it. `durableGeneration` is the writer's current one.
	 */
	enqueue(frame: string | Uint8Array, generation: number, durableGeneration: number): void {
		if (this.closed || this.transport === undefined) return;
		if (generation <= durableGeneration && !this.hasHeldFrames) {
			this.transport.send(frame);
			return;
		}
		this.#held ??= [];
		this.#held.push({ generation, frame });
	}

	/** Sends held frames whose generation is now durable. */
	release(durableGeneration: number): void {
		const held = this.#held;
		if (held === undefined || this.transport === undefined) return;
		let sent = 0;
		while (sent < held.length && (held[sent] as HeldFrame).generation <= durableGeneration) {
			if (!this.closed) this.transport.send((held[sent] as HeldFrame).frame);
			sent++;
		}
		held.splice(0, sent);
	}

	/** Drops held frames (their writes never became durable). */
	dropHeld(): void {
		this.#held = undefined;
	}
}
