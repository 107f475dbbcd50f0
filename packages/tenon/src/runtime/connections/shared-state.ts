import type { Conn } from "../../actor/context.js";
import type { Logger } from "../../common/logger.js";
import { diffValues } from "../../protocol/state-patch.js";
import { STATE_EVENT, type StateMessage } from "../../protocol/sync-names.js";
import type { ConnectionImpl } from "./connection.js";

/**
 * What an actor shares with its connections: its whole state (`true`), or a
 * projection of it, per connection when the function takes the connection.
 */
// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
export type ShareState = true | ((state: any, conn: Conn<any, any, any>) => unknown);

/** What the sync needs from its actor. */
export interface SharedStateDeps {
	readonly share: ShareState;
	/** The actor's state, without tracking proxies. */
	rawState(): unknown;
	/** Increases whenever the state changes. */
	changeCount(): number;
	/** Open connections subscribed to the shared state. */
	subscribers(): Iterable<ConnectionImpl>;
	/** Sends one message to one connection, through the output gate. */
	send(conn: ConnectionImpl, message: StateMessage): void;
	/**
	 * Sends one message to every subscriber but `skip` (encoded once per
	 * encoding), through the output gate.
	 */
	broadcast(message: StateMessage, skip: ReadonlySet<ConnectionImpl>): void;
	log(): Logger;
}

/** What one connection was last sent. */
interface Sent {
	version: number;
	value: unknown;
	/** Its snapshot message, made once: sent again, its frame is encoded once (sync-frames.ts). */
	snapshot?: StateMessage;
}

function snapshotOf(sent: Sent): StateMessage {
	sent.snapshot ??= { v: sent.version, snapshot: sent.value };
	return sent.snapshot;
}

/**
 * Keeps connections' view of the actor's shared state in step: a snapshot
 * when a connection subscribes (and after every reconnect), then, after each
 * turn that changed it, a compact patch. Every message goes through the
 * output gate, so a client never sees state that is not durable.
 *
 * A projection that ignores the connection (`true`, or a function of the
 * state alone) is computed and diffed once per turn and its patch encoded once;
 * a per-connection projection is computed for each subscriber.
 */
export class SharedStateSync {
	readonly #deps: SharedStateDeps;
	readonly #perConnection: boolean;
	/** The last shared value (a copy) and its version, for projections shared by all. */
	#shared: Sent | undefined;
	readonly #sent = new WeakMap<ConnectionImpl, Sent>();
	#seenChange = -1;
	/** Event sends waiting for the next patch, in order (see {@link afterPatch}). */
	#waiting: (() => void)[] | undefined;
	/** Connections whose own state changed since the last sync (their projection may differ). */
	readonly #connsChanged = new Set<ConnectionImpl>();

	constructor(deps: SharedStateDeps) {
		this.#deps = deps;
		this.#perConnection = typeof deps.share === "function" && deps.share.length >= 2;
	}

	/** A connection subscribed (or subscribed again after a reconnect): it gets a snapshot. */
	subscribed(conn: ConnectionImpl): void {
		if (this.#perConnection) {
			const value = this.#project(conn);
			if (value === NOT_SHAREABLE) return;
			const version = (this.#sent.get(conn)?.version ?? 0) + 1;
			this.#sent.set(conn, { version, value });
			this.#deps.send(conn, { v: version, snapshot: value });
			return;
		}
		// The last value shared, when there is one (the turn's patch brings it up to date):
		// neither projected nor encoded again for each subscriber (an attacker probe made
		// the server do both a thousand times a second by subscribing over and over).
		if (this.#shared === undefined) {
			// Never the subscriber's connection: the value goes to everyone (a projection
			// that reads `conn` with fewer than two declared parameters, such as a wrapper
			// with rest parameters, sent the first subscriber's private view to all before
			// 2026-11-26).
			const value = this.#project(undefined);
			if (value === NOT_SHAREABLE) return;
			this.#shared = { version: 1, value };
		}
		this.#snapshot(conn, this.#shared);
	}

	/** `conn` did not get what it was last sent (too large): it gets a snapshot at the next change. */
	forget(conn: ConnectionImpl): void {
		this.#sent.delete(conn);
	}

	/** A connection's own state changed: its projection is computed again after this turn. */
	connChanged(conn: ConnectionImpl): void {
		if (this.#perConnection) this.#connsChanged.add(conn);
	}

	/**
	 * True when an event about to go out must follow a patch not sent yet (the
	 * state changed since the last one, or events already wait): then it goes
	 * through {@link afterPatch}, so a client sees changes and events in the
	 * order the code made them. An agent's `turn` event arrived before the
	 * `pending` call it announced, sent at the end of the turn (a docs
	 * walkthrough, 2026-11-28).
	 */
	holdsEvents(): boolean {
		return (
			this.#waiting !== undefined ||
			this.#deps.changeCount() !== this.#seenChange ||
			this.#connsChanged.size > 0
		);
	}

	/**
	 * Sends `send` after the patch of what changed so far: at the end of the
	 * turn, or when the code next awaits, whichever comes first. One patch for
	 * a burst: a patch before each event made a loop of changes and events
	 * diff the whole state each time (500 of them took 2.3 s instead of 11 ms;
	 * a review).
	 */
	afterPatch(send: () => void): void {
		if (this.#waiting !== undefined) {
			this.#waiting.push(send);
			return;
		}
		this.#waiting = [send];
		queueMicrotask(() => this.afterTurn());
	}

	/** End of a turn: what changed goes out as patches, then the events that waited for them. */
	afterTurn(): void {
		try {
			this.#sync();
		} finally {
			const waiting = this.#waiting;
			this.#waiting = undefined;
			if (waiting !== undefined) for (const send of waiting) send();
		}
	}

	#sync(): void {
		const change = this.#deps.changeCount();
		const stateChanged = change !== this.#seenChange;
		if (!stateChanged && this.#connsChanged.size === 0) return;
		this.#seenChange = change;
		if (this.#perConnection) {
			for (const conn of this.#deps.subscribers())
				if (stateChanged || this.#connsChanged.has(conn)) this.#syncOne(conn);
			this.#connsChanged.clear();
			return;
		}
		this.#syncShared();
	}

	#syncShared(): void {
		let anyone = false;
		for (const _ of this.#deps.subscribers()) {
			anyone = true;
			break;
		}
		if (!anyone) {
			// Nobody listens: the next subscriber gets a fresh snapshot.
			this.#shared = undefined;
			return;
		}
		const value = this.#project(undefined);
		if (value === NOT_SHAREABLE) return;
		const previous = this.#shared;
		if (previous === undefined) {
			this.#shared = { version: 1, value };
			for (const conn of this.#deps.subscribers()) this.#snapshot(conn, this.#shared);
			return;
		}
		const ops = diffValues(previous.value, value);
		if (ops.length === 0) return;
		const next = { version: previous.version + 1, value };
		this.#shared = next;
		// Subscribers that are a version behind (restored after a wake, or not sent the last
		// one: too large) get a snapshot instead: a patch they cannot apply would make the
		// client subscribe again.
		const behind = new Set<ConnectionImpl>();
		for (const conn of this.#deps.subscribers()) {
			if (this.#sent.get(conn) !== previous) behind.add(conn);
			this.#sent.set(conn, next);
		}
		this.#deps.broadcast({ from: previous.version, v: next.version, ops }, behind);
		for (const conn of behind) this.#snapshot(conn, next);
	}

	#snapshot(conn: ConnectionImpl, sent: Sent): void {
		this.#sent.set(conn, sent);
		this.#deps.send(conn, snapshotOf(sent));
	}

	#syncOne(conn: ConnectionImpl): void {
		const value = this.#project(conn);
		if (value === NOT_SHAREABLE) return;
		const previous = this.#sent.get(conn);
		if (previous === undefined) {
			this.#snapshot(conn, { version: 1, value });
			return;
		}
		const ops = diffValues(previous.value, value);
		if (ops.length === 0) return;
		const version = previous.version + 1;
		this.#sent.set(conn, { version, value });
		this.#deps.send(conn, { from: previous.version, v: version, ops });
	}

	/** The value a connection sees now: a copy, so later mutations of the state do not change it. */
	#project(conn: ConnectionImpl | undefined): unknown {
		const share = this.#deps.share;
		try {
			const projected =
				share === true
					? this.#deps.rawState()
					: share(this.#deps.rawState(), conn as ConnectionImpl);
			return structuredClone(projected);
		} catch (error) {
			this.#deps
				.log()
				.error(
					conn === undefined && typeof share === "function"
						? "shareState failed; the shared state is not sent (a function of fewer than two declared parameters is shared with everyone and gets no connection)"
						: "shareState failed; the shared state is not sent",
					{ error },
				);
			return NOT_SHAREABLE;
		}
	}
}

const NOT_SHAREABLE = Symbol("not shareable");

/** True when `eventName` is the shared state's. */
export function isStateEvent(eventName: string): boolean {
	return eventName === STATE_EVENT;
}
