import type { ActionId, ToServer } from "../../protocol/messages.js";
import type { ConnInput, ConnTarget } from "./conn-socket.js";
import type { ConnectionImpl } from "./connection.js";

/** What a {@link HubTarget} hands a connection's input to (the actor's ConnectionHub). */
export interface TargetHub {
	/** `bytes`: its frame's size, counted while an action runs (undefined: not counted). */
	handleMessage(conn: ConnectionImpl, message: ToServer, bytes?: number): void;
	sendError(conn: ConnectionImpl, error: unknown, actionId: ActionId | null): void;
	/** The socket closed (`code` 1006: lost, without a close frame). */
	socketClosed(conn: ConnectionImpl, code?: number): void;
}

/**
 * What a connection's socket hands its input to while the actor is attached:
 * one object per connection and no closures (a wake-up makes one for every
 * connection it restores).
 */
export class HubTarget implements ConnTarget {
	readonly #hub: TargetHub;
	readonly #conn: ConnectionImpl;

	constructor(hub: TargetHub, conn: ConnectionImpl) {
		this.#hub = hub;
		this.#conn = conn;
	}

	receive(input: ConnInput): void {
		if (input.kind === "message") this.#hub.handleMessage(this.#conn, input.message, input.bytes);
		else this.#hub.sendError(this.#conn, input.error, input.actionId);
	}

	closed(code?: number): void {
		this.#hub.socketClosed(this.#conn, code);
	}
}
