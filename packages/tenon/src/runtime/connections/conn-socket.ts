import { utf8Length } from "../../protocol/bytes.js";
import type { Encoding } from "../../protocol/encoding.js";
import { type ActorError, errors, toErrorPayload } from "../../protocol/errors.js";
import { type ActionId, encodeToClient, type ToServer } from "../../protocol/messages.js";
import type { ConnTransport } from "./connection.js";
import { HeldSocket, type SocketOwner, type SocketTarget } from "./held-socket.js";
import type { RawSocketTransport } from "./raw-websocket.js";

/** What a `/connect` socket delivers: a decoded message, or a frame that did not decode. */
export type ConnInput =
	| { kind: "message"; message: ToServer; bytes?: number | undefined }
	| { kind: "refuse"; error: ActorError; actionId: ActionId | null };

/** The action id a held input answers to, if any. */
export function actionIdOf(input: ConnInput): ActionId | null {
	if (input.kind === "refuse") return input.actionId;
	return input.message.tag === "ActionRequest" ? input.message.id : null;
}

/**
 * A client's `/connect` socket as this node holds it: what the server feeds
 * decoded frames into (the gateway's `OpenConnection`), and what the actor's
 * connection writes to. See {@link HeldSocket}.
 */
export class ConnSocket extends HeldSocket<ConnInput> implements ConnTransport {
	readonly encoding: Encoding;
	/** Its client's presence: kept with the socket, so it outlives the actor's sleep, never stored. */
	presence: unknown = null;
	readonly #transport: ConnTransport;

	constructor(actorId: string, transport: ConnTransport, owner: SocketOwner, maxHeld: number) {
		super(actorId, transport, owner, maxHeld);
		this.encoding = transport.encoding;
		this.#transport = transport;
	}

	/** `bytes`: the frame's size, counted while its action runs (see `ConnTransport.holdCall`). */
	receive(message: ToServer, bytes?: number): void {
		this.input({ kind: "message", message, bytes });
	}

	/** Counts an action call's `bytes` (see `ConnTransport.holdCall`): the error refusing it, if any. */
	holdCall(bytes: number): ActorError | undefined {
		try {
			this.#transport.holdCall?.(bytes);
			return undefined;
		} catch (error) {
			return error as ActorError;
		}
	}

	releaseCall(bytes: number): void {
		this.#transport.releaseCall?.(bytes);
	}

	refuse(error: ActorError, actionId: ActionId | null): void {
		this.input({ kind: "refuse", error, actionId });
	}

	/** The client went away (idempotent); `code` 1006: the socket was lost, not closed by it. */
	closed(code = 1005): void {
		this.clientClosed(code, "");
	}

	/**
	 * A frame held while the actor sleeps or wakes counts with the server's held request
	 * bytes, as its call does once it runs: 128 frames of 64 KiB waited for an `onWake`
	 * counted by number only (8 MiB a socket). Past the budget it is answered at once.
	 */
	protected override admitHeld(input: ConnInput): boolean {
		if (input.kind !== "message" || !input.bytes) return true;
		const refused = this.holdCall(input.bytes);
		if (refused === undefined) return true;
		const error = toErrorPayload(refused, false);
		this.send(encodeToClient(this.encoding, { tag: "Error", error, actionId: actionIdOf(input) }));
		return false;
	}

	protected override releaseHeld(input: ConnInput): void {
		if (input.kind === "message" && input.bytes) this.releaseCall(input.bytes);
	}

	/** Answered at once, like an action over the in-flight limit of an awake actor. */
	protected overflow(input: ConnInput, max: number): void {
		const error = toErrorPayload(errors.tooManyInFlight(max), false);
		this.send(encodeToClient(this.encoding, { tag: "Error", error, actionId: actionIdOf(input) }));
	}
}

/** What an awake actor does with a `/connect` socket's input. */
export type ConnTarget = SocketTarget<ConnInput>;

/**
 * A client's raw `/websocket` socket as this node holds it (the gateway's
 * `OpenRawSocket`): held while its actor sleeps when the actor lets it
 * hibernate (`canHibernateWebSocket`). See {@link HeldSocket}.
 */
export class RawSocket extends HeldSocket<string | Uint8Array> implements RawSocketTransport {
	readonly #transport: RawSocketTransport;

	constructor(
		actorId: string,
		transport: RawSocketTransport,
		owner: SocketOwner,
		maxHeld: number,
		maxHeldBytes: number,
	) {
		super(actorId, transport, owner, maxHeld, maxHeldBytes);
		this.#transport = transport;
	}

	receive(data: string | Uint8Array): void {
		this.input(data);
	}

	closed(code: number, reason: string): void {
		this.clientClosed(code, reason);
	}

	protected override sizeOf(data: string | Uint8Array): number {
		return typeof data === "string" ? utf8Length(data) : data.byteLength;
	}

	/** A raw socket has no error frames: more than it may hold closes it ("try again later"). */
	protected overflow(): void {
		this.close(1013, "limit.too_many_held");
	}

	/** Held frames count with the server's held request bytes too (1 MiB a socket, 512 an address). */
	protected override admitHeld(data: string | Uint8Array): boolean {
		try {
			this.#transport.holdBytes?.(this.sizeOf(data));
			return true;
		} catch {
			this.close(1013, "limit.overloaded");
			return false;
		}
	}

	protected override releaseHeld(data: string | Uint8Array): void {
		this.#transport.releaseBytes?.(this.sizeOf(data));
	}
}
