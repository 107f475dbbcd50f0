import type { Logger } from "../../common/logger.js";
import { ActorError, errors, toErrorPayload } from "../../protocol/errors.js";
import { encodeToClient } from "../../protocol/messages.js";
import { type ActorOwner, OwnedElsewhereError } from "../../storage/interfaces.js";
import { closeReason } from "./close-codes.js";
import { actionIdOf, ConnSocket, RawSocket } from "./conn-socket.js";
import type { ConnTransport } from "./connection.js";
import type { SocketHandle, SocketOwner } from "./held-socket.js";
import type { ConnectionLinks } from "./links.js";
import type { RawSocketTransport } from "./raw-websocket.js";

/** A socket the registry holds. */
type AnySocket = ConnSocket | RawSocket;

/** What the registry needs from the node's actor host. */
export interface SocketRegistryDeps {
	/** Wakes the actor (resolves once it is awake and has attached its sockets). */
	wake(actorId: string): Promise<void>;
	/** True while the actor is awake on this node. */
	isAwake(actorId: string): boolean;
	/** In a cluster: how held sockets link to an actor another node owns. */
	links(): ConnectionLinks | undefined;
	log: Logger;
	exposeInternalErrors: boolean;
	/** Most messages a socket holds while its actor is not attached. */
	maxHeldPerSocket: number;
	/** Most bytes of raw frames a socket holds meanwhile (as before it opened: 1 MiB, or one frame). */
	maxHeldRawBytesPerSocket: number;
}

/**
 * The client sockets this node holds, by actor. Sockets outlive actor
 * instances: when an actor sleeps, its connections hibernate and their
 * sockets stay here, open and idle; input on one of them wakes the actor,
 * which attaches them again (see {@link ConnSocket}).
 */
export class SocketRegistry implements SocketOwner {
	readonly #deps: SocketRegistryDeps;
	readonly #byActor = new Map<string, Set<AnySocket>>();
	/** Actors being woken for held input. */
	readonly #waking = new Set<string>();

	constructor(deps: SocketRegistryDeps) {
		this.#deps = deps;
	}

	/** Holds a new `/connect` socket for `actorId`. */
	open(actorId: string, transport: ConnTransport): ConnSocket {
		return this.#add(new ConnSocket(actorId, transport, this, this.#deps.maxHeldPerSocket));
	}

	/** Holds a new raw `/websocket` socket for `actorId`. */
	openRaw(actorId: string, transport: RawSocketTransport): RawSocket {
		const deps = this.#deps;
		return this.#add(
			new RawSocket(actorId, transport, this, deps.maxHeldPerSocket, deps.maxHeldRawBytesPerSocket),
		);
	}

	#add<S extends AnySocket>(socket: S): S {
		let sockets = this.#byActor.get(socket.actorId);
		if (sockets === undefined) {
			sockets = new Set();
			this.#byActor.set(socket.actorId, sockets);
		}
		sockets.add(socket);
		return socket;
	}

	/** The `/connect` sockets held for an actor. */
	socketsOf(actorId: string): readonly ConnSocket[] {
		return this.#all(actorId).filter(
			(socket): socket is ConnSocket => socket instanceof ConnSocket,
		);
	}

	/** The raw sockets held for an actor. */
	rawSocketsOf(actorId: string): readonly RawSocket[] {
		return this.#all(actorId).filter((socket): socket is RawSocket => socket instanceof RawSocket);
	}

	#all(actorId: string): AnySocket[] {
		const sockets = this.#byActor.get(actorId);
		return sockets === undefined ? [] : [...sockets];
	}

	/** Sockets held now (all actors). */
	get size(): number {
		let count = 0;
		for (const sockets of this.#byActor.values()) count += sockets.size;
		return count;
	}

	/** Sockets whose actor is not attached to them (hibernated connections). */
	get hibernatedCount(): number {
		let count = 0;
		for (const sockets of this.#byActor.values())
			for (const socket of sockets) if (!socket.attached && socket.connId !== undefined) count++;
		return count;
	}

	forget(socket: SocketHandle): void {
		const sockets = this.#byActor.get(socket.actorId);
		if (sockets === undefined) return;
		sockets.delete(socket as AnySocket);
		if (sockets.size === 0) this.#byActor.delete(socket.actorId);
	}

	wakeFor(socket: SocketHandle): void {
		const actorId = socket.actorId;
		if (this.#waking.has(actorId)) return;
		// Awake, yet not attached to this socket: it has no record of the connection.
		if (this.#deps.isAwake(actorId)) this.#afterWake(actorId);
		else this.#wake(actorId);
	}

	/** An actor stopped on this node: held input that arrived meanwhile wakes it again. */
	actorStopped(actorId: string): void {
		for (const socket of this.#all(actorId)) {
			if (!socket.attached && socket.heldCount > 0) {
				this.#wake(actorId);
				return;
			}
		}
	}

	/** The node shuts down: every held socket closes (clients reconnect elsewhere or later). */
	/**
	 * Closes every socket with `code` and `reason`; one attached to something still (a link
	 * to an actor's owner on another node) with `attachedReason`: calls it passed on may have
	 * run there, unanswered yet, where a held socket's input never reached an actor (Tenon's
	 * client sends that again after a `core.shutting_down`, see client/close-cause.ts).
	 */
	closeAll(code: number, reason: string, attachedReason = reason): void {
		for (const sockets of this.#byActor.values())
			for (const socket of sockets) socket.close(code, socket.attached ? attachedReason : reason);
		this.#byActor.clear();
	}

	#wake(actorId: string): void {
		if (this.#waking.has(actorId)) return;
		this.#waking.add(actorId);
		this.#deps.log.debug("waking an actor for input on a hibernated connection", { actorId });
		this.#deps.wake(actorId).then(
			() => {
				this.#waking.delete(actorId);
				this.#afterWake(actorId);
			},
			(error: unknown) => {
				const links = this.#deps.links();
				if (error instanceof OwnedElsewhereError && links !== undefined) {
					void this.#link(actorId, error.owner, links).finally(() => {
						this.#waking.delete(actorId);
						// Input held meanwhile by a socket the link skipped (still attached then:
						// its own link's close came later) found this wake under way: once more.
						if (
							this.#all(actorId).some(
								(s) => !s.attached && s.heldCount > 0 && s.connId !== undefined,
							)
						)
							this.#wake(actorId);
					});
					return;
				}
				this.#waking.delete(actorId);
				this.#wakeFailed(actorId, error);
			},
		);
	}

	/** Asks the registry to link the sockets it holds for `actorId` (its owner woke it elsewhere). */
	linkHeld(actorId: string): void {
		if (this.#all(actorId).some((socket) => !socket.attached && socket.connId !== undefined))
			this.#wake(actorId);
	}

	/**
	 * Another node owns the actor: each held `/connect` socket is linked to it
	 * (the owner resumes its stored connection and takes the held input).
	 * Raw sockets cannot follow (their clients reconnect); a connection the
	 * owner no longer knows is closed, so its client reconnects.
	 */
	async #link(actorId: string, owner: ActorOwner, links: ConnectionLinks): Promise<void> {
		await Promise.all(
			this.#all(actorId).map(async (socket) => {
				if (socket.attached || socket.connId === undefined) return;
				if (!(socket instanceof ConnSocket)) {
					socket.release();
					this.forget(socket);
					socket.close(1012, "actor.moved");
					return;
				}
				const outcome = await links.link(socket, owner);
				if (outcome === "linked") return;
				if (outcome === "unknown") {
					socket.release();
					this.forget(socket);
					socket.close(1011, "conn.lost");
					return;
				}
				// Unreachable: held actions learn it; the next message tries again.
				this.#failConn(
					socket,
					toErrorPayload(
						new ActorError(
							"actor",
							"unavailable",
							"The actor's node could not be reached; try again",
						),
						false,
					),
					false,
				);
			}),
		);
	}

	/** Sockets the woken actor did not take (it had no record of their connection) are closed. */
	#afterWake(actorId: string): void {
		for (const socket of this.#all(actorId)) {
			if (socket.attached || socket.heldCount === 0) continue;
			if (!this.#deps.isAwake(actorId)) {
				// It went to sleep again before taking the input: once more.
				this.#wake(actorId);
				return;
			}
			this.#deps.log.warn("a held connection is unknown to its actor; closing it", {
				actorId,
				connId: socket.connId,
			});
			socket.takeHeld();
			this.forget(socket);
			socket.close(1011, "conn.lost");
		}
	}

	/**
	 * The actor could not be woken: held actions get the error; a destroyed
	 * actor's sockets close. The sockets stay otherwise: the next message tries again.
	 */
	#wakeFailed(actorId: string, error: unknown): void {
		let shown: ActorError;
		if (error instanceof ActorError) shown = error;
		else {
			this.#deps.log.error("waking an actor for a hibernated connection failed", {
				actorId,
				error,
			});
			shown = errors.internal();
		}
		const gone = shown.group === "actor" && shown.code === "not_found";
		const payload = toErrorPayload(shown, this.#deps.exposeInternalErrors);
		for (const socket of this.#all(actorId)) {
			if (socket instanceof ConnSocket) this.#failConn(socket, payload, gone);
			else this.#failRaw(socket, shown, gone);
		}
	}

	/** Held actions get the error frame; a held close just ends the socket. */
	#failConn(socket: ConnSocket, payload: ReturnType<typeof toErrorPayload>, gone: boolean): void {
		const held = socket.takeHeld();
		if (held.some((entry) => entry.kind === "closed")) {
			this.forget(socket);
			return;
		}
		for (const entry of held) {
			const actionId = entry.kind === "input" ? actionIdOf(entry.input) : null;
			if (actionId !== null)
				socket.send(encodeToClient(socket.encoding, { tag: "Error", error: payload, actionId }));
		}
		if (gone) {
			this.forget(socket);
			socket.close(1000, "actor.destroyed");
		}
	}

	/** A raw socket has no error frames: its client learns by the close, and may retry. */
	#failRaw(socket: RawSocket, shown: ActorError, gone: boolean): void {
		const held = socket.takeHeld();
		if (held.length === 0 && !gone) return;
		this.forget(socket);
		if (held.some((entry) => entry.kind === "closed")) return;
		socket.close(
			gone ? 1000 : 1011,
			gone ? "actor.destroyed" : closeReason(`${shown.group}.${shown.code}`),
		);
	}
}
