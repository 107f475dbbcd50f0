/** Where an attached socket's input goes: the awake actor's handling of that connection. */
export interface SocketTarget<In> {
	receive(input: In): void;
	/** The client went away. */
	closed(code: number, reason: string): void;
}

/** Input held while the socket's actor is not attached (asleep, waking or going to sleep). */
export type HeldInput<In> =
	| { kind: "input"; input: In }
	| { kind: "closed"; code: number; reason: string };

/** What the node's registry sees of a held socket, whatever its input. */
export interface SocketHandle {
	readonly actorId: string;
	readonly connId: string | undefined;
	readonly attached: boolean;
	readonly heldCount: number;
	close(code: number, reason: string): void;
}

/** What a socket asks of the node's registry. */
export interface SocketOwner {
	/** Input is held for `socket`: its actor must be woken. */
	wakeFor(socket: SocketHandle): void;
	/** The socket is gone for good. */
	forget(socket: SocketHandle): void;
}

/** The server's side of a socket: what frames are written to. */
export interface SocketWriter {
	send(frame: string | Uint8Array): void;
	/** Optional: frames sent until `uncork` leave in one write. */
	cork?(): void;
	uncork?(): void;
	close(code: number, reason: string): void;
	/** Optional: true once the client's socket closed (a writer that cannot tell leaves it out). */
	readonly gone?: boolean;
	/**
	 * Optional: counts a connection waiting for its client, after this socket
	 * was lost, against the address the socket came from, until the returned
	 * function is called (see keepLost in conn-restore.ts).
	 */
	holdAddress?(): (() => void) | undefined;
}

/**
 * One client socket as this node holds it, for one connection of an actor:
 * it lives as long as the socket, not as long as the actor. While the actor
 * sleeps (the connection hibernates) or wakes, input is held here, in order,
 * and the actor is woken for it; once the actor attaches again, the held
 * input is handed over before anything newer. `/connect` sockets
 * ({@link ConnSocket}) and raw sockets both are held this way.
 */
export abstract class HeldSocket<In> implements SocketHandle {
	readonly actorId: string;
	/** The connection id, once the actor accepted the connection. */
	connId: string | undefined;
	readonly #writer: SocketWriter;
	readonly #owner: SocketOwner;
	#target: SocketTarget<In> | undefined;
	#held: HeldInput<In>[] | undefined;
	#clientGone = false;
	/** Most inputs held while the actor is not attached. */
	readonly #maxHeld: number;
	/** Most bytes of them (see {@link sizeOf}): 128 raw frames of 1 MiB were 128 MiB. */
	readonly #maxHeldBytes: number;
	#heldBytes = 0;
	#taken = 0;
	/** Input is dropped, not held, while detached (a link's: its holder sends it again). */
	#dropping = false;

	constructor(
		actorId: string,
		writer: SocketWriter,
		owner: SocketOwner,
		maxHeld: number,
		maxHeldBytes = Number.POSITIVE_INFINITY,
	) {
		this.actorId = actorId;
		this.#writer = writer;
		this.#owner = owner;
		this.#maxHeld = maxHeld;
		this.#maxHeldBytes = maxHeldBytes;
	}

	/** True once the client's socket is known to be closed. */
	get gone(): boolean {
		return this.#clientGone || this.#writer.gone === true;
	}

	/** The bytes an input holds, counted against the held bytes' bound (0: not counted). */
	protected sizeOf(_input: In): number {
		return 0;
	}

	/**
	 * Counts an input about to be held beyond this socket (the node's held bytes): false
	 * when it does not fit, and the subclass answered it. See {@link releaseHeld}.
	 */
	protected admitHeld(_input: In): boolean {
		return true;
	}

	/** A held input leaves (to the actor, or dropped): what {@link admitHeld} counted goes. */
	protected releaseHeld(_input: In): void {}

	/** True while an awake actor handles this socket's input. */
	get attached(): boolean {
		return this.#target !== undefined;
	}

	/**
	 * Inputs handed to an attached actor so far. On a link's socket (see
	 * {@link detach}) these are the first `taken` inputs: all later ones were dropped.
	 */
	get taken(): number {
		return this.#taken;
	}

	/** True once the client closed the socket. */
	get clientGone(): boolean {
		return this.#clientGone;
	}

	/** Inputs waiting for the actor. */
	get heldCount(): number {
		return this.#held?.length ?? 0;
	}

	send(frame: string | Uint8Array): void {
		if (!this.#clientGone) this.#writer.send(frame);
	}

	/** Passed on to the server's socket: a commit's replies leave in one write. */
	cork(): void {
		this.#writer.cork?.();
	}

	uncork(): void {
		this.#writer.uncork?.();
	}

	/** Closes the client's socket: input held for it is dropped, no one will answer it. */
	close(code: number, reason: string): void {
		this.takeHeld();
		this.#writer.close(code, reason);
	}

	/** See {@link SocketWriter.holdAddress}; undefined where nothing is counted. */
	holdAddress(): (() => void) | undefined {
		return this.#writer.holdAddress?.();
	}

	/** Input from the client: to the attached actor, or held until it attaches. */
	protected input(input: In): void {
		if (this.#target !== undefined) {
			this.#taken++;
			this.#target.receive(input);
		} else if (!this.#dropping) this.#hold({ kind: "input", input });
	}

	/** The client went away (idempotent). */
	clientClosed(code: number, reason: string): void {
		if (this.#clientGone) return;
		this.#clientGone = true;
		const target = this.#target;
		if (target === undefined && this.connId !== undefined) {
			// Asleep: the actor must still learn that its connection is gone.
			this.#hold({ kind: "closed", code, reason });
			return;
		}
		target?.closed(code, reason);
		this.takeHeld();
		this.#owner.forget(this);
	}

	/**
	 * An awake actor takes this socket's input: what was held is handed over
	 * first, in order, then new input goes straight to `target`.
	 */
	attach(target: SocketTarget<In>): void {
		this.#target = target;
		this.#dropping = false;
		const held = this.#held;
		this.#held = undefined;
		this.#heldBytes = 0;
		if (held === undefined) return;
		for (const entry of held) {
			if (entry.kind === "input") {
				this.#taken++;
				// Let go before the actor counts it again as it takes it (a call while it runs).
				this.releaseHeld(entry.input);
				target.receive(entry.input);
			} else {
				// A held close ends the socket: nothing came after it.
				target.closed(entry.code, entry.reason);
				this.#owner.forget(this);
			}
		}
	}

	/**
	 * The actor lets go (it goes to sleep): input is held from now on, or,
	 * with `drop`, dropped unread. A socket that carries a link from the node
	 * holding the client's socket drops it: that node sends again what this
	 * one did not take ({@link taken}), to wherever the actor wakes next.
	 */
	detach(drop = false): void {
		this.#target = undefined;
		this.#dropping = drop;
	}

	/**
	 * The socket no longer stands for a connection (a resumed connection moved
	 * to the client's new socket): closing it concerns nobody.
	 */
	release(): void {
		this.connId = undefined;
		this.#target = undefined;
		// Nobody to take it: input that still arrives (a link's frames crossing its close) is dropped.
		this.#dropping = true;
		this.takeHeld();
	}

	/** Takes the input held so far (the actor could not be woken for it): no longer counted. */
	takeHeld(): HeldInput<In>[] {
		const held = this.#held ?? [];
		this.#held = undefined;
		this.#heldBytes = 0;
		for (const entry of held) if (entry.kind === "input") this.releaseHeld(entry.input);
		return held;
	}

	/** Input beyond what may be held: answered or refused at once. */
	protected abstract overflow(input: In, max: number): void;

	#hold(entry: HeldInput<In>): void {
		this.#held ??= [];
		if (entry.kind === "input") {
			const size = this.sizeOf(entry.input);
			if (this.#held.length >= this.#maxHeld || this.#heldBytes + size > this.#maxHeldBytes) {
				this.overflow(entry.input, this.#maxHeld);
				return;
			}
			if (!this.admitHeld(entry.input)) return;
			this.#heldBytes += size;
		}
		this.#held.push(entry);
		this.#owner.wakeFor(this);
	}
}
