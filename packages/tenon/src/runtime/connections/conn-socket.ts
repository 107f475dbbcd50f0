import type { Encoding } from "../../protocol/encoding.js";
import { type ActorError, errors, toErrorPayload } from "../../protocol/errors.js";
import { type ActionId, encodeToClient, type ToServer } from "../../protocol/messages.js";
import type { ConnTransport } from "./connection.js";

/** Where an attached socket's input goes: the awake actor's handling of that connection. */
export interface SocketTarget {
	receive(message: ToServer): void;
	refuse(error: ActorError, actionId: ActionId | null): void;
	/** The client went away. */
	closed(): void;
}

/** Input held while the socket's actor is not attached (asleep, waking or going to sleep). */
export type HeldInput =
	| { kind: "message"; message: ToServer }
	| { kind: "refuse"; error: ActorError; actionId: ActionId | null }
	| { kind: "closed" };

/** What a socket asks of the node's registry. */
export interface SocketOwner {
	/** Input is held for `socket`: its actor must be woken. */
	wakeFor(socket: ConnSocket): void;
	/** The socket is gone for good. */
	forget(socket: ConnSocket): void;
}

/**
 * One client's `/connect` socket as this node holds it: what the server feeds
 * decoded frames into, and what the actor's connection writes to. It lives as
 * long as the socket, not as long as the actor: while the actor sleeps (its
 * connections hibernate) or wakes, input is held here, in order, and the
 * actor is woken for it; once the actor attaches again, the held input is
 * handed over before anything newer.
 */
export class ConnSocket implements ConnTransport {
	readonly actorId: string;
	readonly encoding: Encoding;
	/** The connection id, once the actor accepted the connection. */
	connId: string | undefined;
	readonly #transport: ConnTransport;
	readonly #owner: SocketOwner;
	#target: SocketTarget | undefined;
	#held: HeldInput[] | undefined;
	#clientGone = false;

	/** Most messages held while the actor is not attached (its in-flight limit per connection). */
	readonly #maxHeld: number;

	constructor(actorId: string, transport: ConnTransport, owner: SocketOwner, maxHeld: number) {
		this.actorId = actorId;
		this.encoding = transport.encoding;
		this.#transport = transport;
		this.#owner = owner;
		this.#maxHeld = maxHeld;
	}

	/** True while an awake actor handles this socket's input. */
	get attached(): boolean {
		return this.#target !== undefined;
	}

	/** True once the client closed the socket. */
	get clientGone(): boolean {
		return this.#clientGone;
	}

	/** Input waiting for the actor. */
	get heldCount(): number {
		return this.#held?.length ?? 0;
	}

	// ---- ConnTransport: the actor's side writes here --------------------------------

	send(frame: string | Uint8Array): void {
		if (!this.#clientGone) this.#transport.send(frame);
	}

	close(code: number, reason: string): void {
		this.#transport.close(code, reason);
	}

	// ---- OpenConnection: the server feeds input here ----------------------------------

	receive(message: ToServer): void {
		if (this.#target !== undefined) this.#target.receive(message);
		else this.#hold({ kind: "message", message });
	}

	refuse(error: ActorError, actionId: ActionId | null): void {
		if (this.#target !== undefined) this.#target.refuse(error, actionId);
		else this.#hold({ kind: "refuse", error, actionId });
	}

	/** The client went away (idempotent). */
	closed(): void {
		if (this.#clientGone) return;
		this.#clientGone = true;
		const target = this.#target;
		if (target === undefined && this.connId !== undefined) {
			// Asleep: the actor must still learn that its connection is gone (onDisconnect).
			this.#hold({ kind: "closed" });
			return;
		}
		target?.closed();
		this.#owner.forget(this);
	}

	// ---- The actor's side ---------------------------------------------------------

	/**
	 * An awake actor takes this socket's input: what was held is handed over
	 * first, in order, then new input goes straight to `target`.
	 */
	attach(target: SocketTarget): void {
		this.#target = target;
		const held = this.#held;
		this.#held = undefined;
		if (held === undefined) return;
		for (const input of held) {
			if (input.kind === "message") target.receive(input.message);
			else if (input.kind === "refuse") target.refuse(input.error, input.actionId);
			else {
				// A held close ends the socket: nothing came after it.
				target.closed();
				this.#owner.forget(this);
			}
		}
	}

	/**
	 * The socket no longer stands for a connection (a resumed connection moved
	 * to the client's new socket): closing it concerns nobody.
	 */
	release(): void {
		this.connId = undefined;
		this.#target = undefined;
		this.#held = undefined;
	}

	/** The actor lets go (it goes to sleep): input is held from now on. */
	detach(): void {
		this.#target = undefined;
	}

	/** Takes the input held so far (the actor could not be woken for it). */
	takeHeld(): HeldInput[] {
		const held = this.#held ?? [];
		this.#held = undefined;
		return held;
	}

	#hold(input: HeldInput): void {
		this.#held ??= [];
		if (input.kind !== "closed" && this.#held.length >= this.#maxHeld) {
			// Answered at once, like an action over the in-flight limit of an awake actor.
			const actionId =
				input.kind === "refuse"
					? input.actionId
					: input.message.tag === "ActionRequest"
						? input.message.id
						: null;
			const error = toErrorPayload(errors.tooManyInFlight(this.#maxHeld), false);
			this.send(encodeToClient(this.encoding, { tag: "Error", error, actionId }));
			return;
		}
		this.#held.push(input);
		this.#owner.wakeFor(this);
	}
}
