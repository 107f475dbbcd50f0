import type { CallerRequest, Conn } from "../../actor/context.js";
import type { Encoding } from "../../protocol/encoding.js";
import type { ActionId } from "../../protocol/messages.js";
import { StateTracker } from "../state-tracker.js";
import { unlockedDeep } from "../state-write-checks.js";
import { CLOSE } from "./close-codes.js";
import type { StoredRequest } from "./conn-records.js";

/**
 * The server side of a client connection, as the runtime sees it. The server
 * layer implements it over a WebSocket; frames are already encoded.
 */
export interface ConnTransport {
	readonly encoding: Encoding;
	send(frame: string | Uint8Array): void;
	/** Optional: frames sent until `uncork` leave in one write. */
	cork?(): void;
	uncork?(): void;
	close(code: number, reason: string): void;
	/** Optional: see `SocketWriter.holdAddress` (held-socket.ts). */
	holdAddress?(): (() => void) | undefined;
	/**
	 * Optional: an action call of `bytes` (its frame) arrived and waits or
	 * runs; counted with the server's held request bytes until
	 * {@link releaseCall}. Throws `limit/overloaded` when it does not fit.
	 */
	holdCall?(bytes: number): void;
	releaseCall?(bytes: number): void;
}

/**
 * Most a connection holds behind its first held frame, waiting for
 * durability (string lengths and bytes), by default: as much as a socket may
 * have unsent before it is closed. An actor's hub raises it to two of its
 * largest messages (`maxOutgoingMessageBytes`). Before 2026-11-25 it was
 * not bounded: an attacker probe grew the heap by 922 MB with 1,000 requests
 * for 1 MB replies while one commit was slow.
 */
export const MAX_HELD_SIZE = 16 * 1024 * 1024;

/**
 * Most all connections of the process may hold for durability together, by
 * default (`maxHeldBytesPerNode`): each one's cap alone let 8 sockets hold
 * 120 MB during one slow commit, and 256 would have held 4 GiB.
 */
export const MAX_HELD_ON_NODE = 512 * 1024 * 1024;

/** A connection holding less than this is never closed for the node's share. */
const NODE_SHARE_MIN = 1024 * 1024;

/** What all connections of the process hold for durability (see {@link MAX_HELD_ON_NODE}). */
let heldOnNode = 0;

/** What a connection needs from its actor. */
export interface ConnOwner {
	/** Most all connections may hold together ({@link MAX_HELD_ON_NODE} when absent). */
	readonly maxHeldOnNode?: number;
	/** Most a connection may hold behind its first held frame ({@link MAX_HELD_SIZE} when absent). */
	readonly maxHeldSize?: number;
	/** Sends an event to one connection, through the output gate. */
	sendEvent(conn: ConnectionImpl, name: string, args: unknown[]): void;
	/** Closes a connection from the actor side. */
	disconnect(conn: ConnectionImpl, reason: string | undefined): void;
}

interface HeldFrame {
	generation: number;
	frame: string | Uint8Array;
}

/** How a connection persists: what it is and what the store keeps beside its state. */
export interface ConnPersistence {
	kind: "connect" | "raw";
	createdAt: number;
	/** SHA-256 of the client's resume token. */
	tokenHash?: Uint8Array | undefined;
	rawUrl?: string | undefined;
	storedRequest?: StoredRequest | undefined;
	/**
	 * Called when the connection's stored record must be written again;
	 * `subscriptionsOnly` when only its subscriptions changed (written less often).
	 */
	onChange(conn: ConnectionImpl, subscriptionsOnly?: boolean): void;
}

/** The subscriptions of a connection that has none (never changed: connections add to their own set). */
const NO_SUBSCRIPTIONS: ReadonlySet<string> = new Set();

/** A connection: the user-facing {@link Conn} plus the runtime's outbox. */
// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
export class ConnectionImpl implements Conn<any, any, any> {
	readonly id: string;
	/** The params the client connected with (replaced by the checked ones of a resume). */
	params: unknown;
	readonly isEphemeral: boolean;
	/**
	 * The request of a short-lived connection (a stateless action, queue send
	 * or raw request), for `c.request`. Realtime connections keep none.
	 */
	readonly request: CallerRequest | undefined;
	/** Event names the client subscribed to; made on the first (most connections of a wake-up have none). */
	#subscriptions: Set<string> | undefined;
	#closed = false;
	/** Actions received on this connection's current socket and not answered yet. */
	inFlight = 0;
	/**
	 * Their ids (made on the first action), each with 0 while it runs, or the generation its
	 * reply waits for: answered `actor/stopped` if the connection hibernates before they
	 * return or their reply's writes are durable (see `ConnectionHub.hibernate`). Entries of
	 * replies since sent are pruned as it grows. A counter apart, so a client repeating an id
	 * still counts against the limit.
	 */
	inFlightIds: Map<ActionId, number> | undefined;
	/**
	 * Actions received on sockets its client replaced (a resume) and still running: the
	 * client counts them lost, so they no longer take from the new socket's cap, but they
	 * are held within a second cap of the same size (see `ConnectionHub.handleMessage`).
	 */
	replacedInFlight = 0;
	/**
	 * How many times its client replaced its socket (a resume): an action's reply goes only
	 * to the socket its request came on (a client numbering calls afresh on a new socket
	 * got the old call's answer for a new one).
	 */
	socketsReplaced = 0;
	/** Subscription changes waiting on a `canSubscribe` check, in arrival order. */
	subscriptionsPending: Promise<void> | undefined;
	/**
	 * Stored with the actor's commits, so it hibernates while the actor
	 * sleeps and survives restarts. False for short-lived connections, when
	 * the actor opted out, or when its state cannot be stored.
	 */
	persisted = false;
	/** In a cluster: the node holding this connection's socket (stored with it). */
	holder: string | undefined;
	/** The socket is a link from the holder node, not the client's own socket. */
	linked = false;
	readonly #owner: ConnOwner;
	#transport: ConnTransport | undefined;
	#state: unknown;
	/** Tracks changes to a persisted connection's state (made on first use once persisted). */
	#tracker: StateTracker | undefined;
	#persistence: ConnPersistence | undefined;
	/**
	 * The oldest frame waiting for its writes to become durable, and its
	 * generation. Held apart from {@link #moreHeld}: most connections hold one
	 * frame at a time (a broadcast's event), which then costs no allocation.
	 */
	#heldFrame: string | Uint8Array | undefined;
	#heldGeneration = 0;
	/** Frames held behind {@link #heldFrame}, in order. */
	#moreHeld: HeldFrame[] | undefined;
	/** Their size (string lengths and byte lengths). */
	#moreHeldSize = 0;

	constructor(
		owner: ConnOwner,
		id: string,
		params: unknown,
		state: unknown,
		transport: ConnTransport | undefined,
		request: CallerRequest | undefined = undefined,
		realtime = transport !== undefined,
	) {
		this.#owner = owner;
		this.id = id;
		this.params = params;
		this.#state = state;
		this.#transport = transport;
		this.isEphemeral = !realtime;
		this.request = realtime ? undefined : request;
	}

	/** Event names the client subscribed to. */
	get subscriptions(): ReadonlySet<string> {
		return this.#subscriptions ?? NO_SUBSCRIPTIONS;
	}

	/** Subscribes to `eventName`; false when it already was. */
	subscribe(eventName: string): boolean {
		if (this.#subscriptions === undefined) this.#subscriptions = new Set();
		else if (this.#subscriptions.has(eventName)) return false;
		this.#subscriptions.add(eventName);
		return true;
	}

	/** Unsubscribes from `eventName`; false when it was not subscribed. */
	unsubscribe(eventName: string): boolean {
		return this.#subscriptions?.delete(eventName) ?? false;
	}

	/** The socket the connection writes to (undefined for short-lived ones). */
	get transport(): ConnTransport | undefined {
		return this.#transport;
	}

	get state(): unknown {
		// A tracker once made stays (a connection whose state could not be stored is no longer persisted).
		return this.persisted || this.#tracker !== undefined ? this.#trackerOf().value : this.#state;
	}

	set state(next: unknown) {
		if (this.persisted || this.#tracker !== undefined) this.#trackerOf().replace(next);
		else this.#state = next;
	}

	/** The state without tracking proxies (for storing it). */
	get rawState(): unknown {
		return this.#tracker === undefined ? this.#state : this.#tracker.raw;
	}

	/**
	 * Makes the connection persisted: its record is written now (unless it was
	 * just read from storage) and again whenever its state, subscriptions or
	 * params change.
	 */
	persist(persistence: ConnPersistence, options: { stored?: boolean } = {}): void {
		this.#persistence = persistence;
		this.persisted = true;
		if (options.stored !== true) this.changed();
	}

	/**
	 * The tracker of a persisted connection's state, made on first use: a
	 * wake-up restores every stored connection, and most are not touched
	 * before the actor sleeps again.
	 */
	#trackerOf(): StateTracker {
		// A frozen state (or one holding frozen objects, from `createConnState`) is tracked as
		// its plain copy: reads through a frozen object threw a Proxy TypeError (2026-11-26).
		if (this.#tracker === undefined)
			this.#tracker = new StateTracker(unlockedDeep(this.#state), () => this.changed());
		return this.#tracker;
	}

	/** Its record must be written again (its state or params changed). */
	changed(): void {
		if (this.persisted) this.#persistence?.onChange(this);
	}

	/** Its subscriptions changed: its record must be written again, soon. */
	subscriptionsChanged(): void {
		if (this.persisted) this.#persistence?.onChange(this, true);
	}

	/** The stored record was collected: later state changes mark it changed again. */
	settleState(): void {
		this.#tracker?.takeChanges();
	}

	/** See `Conn.isHibernatable`. */
	get isHibernatable(): boolean {
		return this.persisted;
	}

	get kind(): "connect" | "raw" {
		return this.#persistence?.kind ?? "connect";
	}
	get createdAt(): number {
		return this.#persistence?.createdAt ?? 0;
	}
	get tokenHash(): Uint8Array | undefined {
		return this.#persistence?.tokenHash;
	}
	get rawUrl(): string | undefined {
		return this.#persistence?.rawUrl;
	}
	/** True once the socket closed (or the actor closed it): what it held is dropped. */
	get closed(): boolean {
		return this.#closed;
	}

	set closed(closed: boolean) {
		this.#closed = closed;
		if (closed && this.#moreHeldSize > 0) this.dropHeld();
	}

	get storedRequest(): StoredRequest | undefined {
		return this.#persistence?.storedRequest;
	}

	/** A resumed connection writes to the client's new socket. */
	moveTo(transport: ConnTransport): void {
		this.#transport = transport;
		this.closed = false;
	}

	send(name: string, ...args: unknown[]): void {
		this.#owner.sendEvent(this, name, args);
	}

	disconnect(reason?: string): void {
		this.#owner.disconnect(this, reason);
	}

	/** True when frames are waiting on durability. */
	get hasHeldFrames(): boolean {
		return this.#heldFrame !== undefined || (this.#moreHeld?.length ?? 0) > 0;
	}

	/**
	 * Sends `frame` once `generation` is durable, keeping order with frames
	 * held before it. `durableGeneration` is the writer's current one.
	 */
	enqueue(frame: string | Uint8Array, generation: number, durableGeneration: number): void {
		if (this.closed || this.#transport === undefined) return;
		if (!this.hasHeldFrames) {
			if (generation <= durableGeneration) this.#transport.send(frame);
			else {
				this.#heldFrame = frame;
				this.#heldGeneration = generation;
			}
			return;
		}
		this.#moreHeld ??= [];
		this.#moreHeld.push({ generation, frame });
		this.#held(typeof frame === "string" ? frame.length : frame.byteLength);
		const own = this.#moreHeldSize;
		if (own <= (this.#owner.maxHeldSize ?? MAX_HELD_SIZE)) {
			// The node's share: a connection holding more than a little is closed while all of
			// them together hold more than the node may (many sockets, each under its own cap).
			if (heldOnNode <= (this.#owner.maxHeldOnNode ?? MAX_HELD_ON_NODE) || own <= NODE_SHARE_MIN)
				return;
		}
		// A client that keeps asking while a commit is slow: its socket is closed as one
		// that does not read is (1013), or its replies would fill the heap.
		this.dropHeld();
		this.#transport.close(CLOSE.tryAgainLater, "connection.backpressure");
	}

	/** Sends held frames whose generation is now durable, in order. */
	release(durableGeneration: number): void {
		const transport = this.#transport;
		if (transport === undefined) return;
		const first = this.#heldFrame;
		if (first !== undefined) {
			if (this.#heldGeneration > durableGeneration) return;
			this.#heldFrame = undefined;
		}
		const more = this.#moreHeld;
		if (
			more === undefined ||
			more.length === 0 ||
			(more[0] as HeldFrame).generation > durableGeneration
		) {
			if (first !== undefined && !this.closed) transport.send(first);
			return;
		}
		// Several replies of one commit (pipelined calls): one write for all of them.
		const corked =
			!this.closed &&
			transport.cork !== undefined &&
			(first !== undefined || (more[1] !== undefined && more[1].generation <= durableGeneration));
		if (corked) transport.cork?.();
		try {
			if (first !== undefined && !this.closed) transport.send(first);
			let sent = 0;
			while (sent < more.length && (more[sent] as HeldFrame).generation <= durableGeneration) {
				if (!this.closed) transport.send((more[sent] as HeldFrame).frame);
				sent++;
			}
			if (sent === more.length) {
				this.#moreHeld = undefined;
				this.#held(-this.#moreHeldSize);
			} else {
				for (let i = 0; i < sent; i++) {
					const frame = (more[i] as HeldFrame).frame;
					this.#held(-(typeof frame === "string" ? frame.length : frame.byteLength));
				}
				more.splice(0, sent);
			}
		} finally {
			if (corked) transport.uncork?.();
		}
	}

	/** Drops held frames (their writes never became durable). */
	dropHeld(): void {
		this.#heldFrame = undefined;
		this.#moreHeld = undefined;
		this.#held(-this.#moreHeldSize);
	}

	/** Counts `size` more (or less) held, on this connection and on the node. */
	#held(size: number): void {
		this.#moreHeldSize += size;
		heldOnNode += size;
	}
}
