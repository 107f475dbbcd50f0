// The client side of an actor's shared state and presence, on top of a
// connection's events and actions (see protocol/sync-names.ts).
import { callSafely } from "../common/call-safely.js";
import { applyPatch } from "../protocol/state-patch.js";
import {
	PRESENCE_ACTION,
	PRESENCE_EVENT,
	type PresenceEntry,
	STATE_EVENT,
	type StateMessage,
} from "../protocol/sync-names.js";

/**
 * Calls one subscriber: one that throws (or an `async` one that rejects) is
 * logged as the connection's other callbacks are, and the others still hear
 * the change (a UI's re-render among them).
 */
function notify<T>(handler: (value: T) => void, value: T): void {
	callSafely(
		() => handler(value),
		(error) => console.error("tenon: a connection callback threw", error),
	);
}

/** What the views use of their connection. */
export interface SyncHost {
	on(name: string, callback: (payload: unknown) => void): () => void;
	action(call: { name: string; args: unknown[] }): Promise<unknown>;
	/** Ends and restarts the subscription to `name` (the server answers with a snapshot). */
	resubscribe(name: string): void;
}

/**
 * The actor's shared state as this connection sees it: a snapshot when it
 * subscribes (and after every reconnect), then patches. A patch that does
 * not follow the version held (a message was missed) asks for a snapshot again.
 */
export class SharedStateView {
	readonly #host: SyncHost;
	#version = 0;
	#value: unknown;
	#received = false;
	readonly #handlers = new Set<(value: unknown) => void>();
	#unsubscribe: (() => void) | undefined;

	constructor(host: SyncHost) {
		this.#host = host;
	}

	/** The latest shared state (undefined until the first snapshot). */
	get value(): unknown {
		return this.#value;
	}

	/** True once a snapshot arrived. */
	get received(): boolean {
		return this.#received;
	}

	/** Calls `handler` with every new value (subscribing on first use). */
	listen(handler: (value: unknown) => void): () => void {
		this.#handlers.add(handler);
		this.#unsubscribe ??= this.#host.on(STATE_EVENT, (message: unknown) =>
			this.#apply(message as StateMessage),
		);
		if (this.#received) notify(handler, this.#value);
		return () => {
			this.#handlers.delete(handler);
			if (this.#handlers.size > 0) return;
			this.#unsubscribe?.();
			this.#unsubscribe = undefined;
			this.#received = false;
		};
	}

	#apply(message: StateMessage): void {
		if ("snapshot" in message) {
			this.#version = message.v;
			this.#value = message.snapshot;
			this.#received = true;
		} else {
			if (!this.#received || message.from !== this.#version) {
				this.#host.resubscribe(STATE_EVENT);
				return;
			}
			try {
				this.#value = applyPatch(this.#value, message.ops);
				this.#version = message.v;
			} catch {
				this.#host.resubscribe(STATE_EVENT);
				return;
			}
		}
		for (const handler of [...this.#handlers]) notify(handler, this.#value);
	}
}

/**
 * Presence on an actor: everyone's (by connection id, this connection's
 * own included), and this client's own, set again after every reconnect.
 */
export class PresenceView {
	readonly #host: SyncHost;
	#entries: ReadonlyMap<string, PresenceEntry> = new Map();
	readonly #handlers = new Set<(entries: ReadonlyMap<string, PresenceEntry>) => void>();
	#unsubscribe: (() => void) | undefined;
	/** What this client set last (undefined: nothing yet). */
	#mine: unknown;

	constructor(host: SyncHost) {
		this.#host = host;
	}

	get entries(): ReadonlyMap<string, PresenceEntry> {
		return this.#entries;
	}

	/** Sets this client's presence (`null` clears it); resolves once the actor took it. */
	set(data: unknown): Promise<void> {
		this.#mine = data;
		return this.#host.action({ name: PRESENCE_ACTION, args: [data] }).then(() => undefined);
	}

	/** The connection opened again (a new socket): the actor needs this client's presence again. */
	reopened(): void {
		if (this.#mine !== undefined && this.#mine !== null) void this.set(this.#mine).catch(() => {});
	}

	/** Calls `handler` with everyone's presence on every change (subscribing on first use). */
	listen(handler: (entries: ReadonlyMap<string, PresenceEntry>) => void): () => void {
		this.#handlers.add(handler);
		this.#unsubscribe ??= this.#host.on(PRESENCE_EVENT, (payload: unknown) =>
			this.#apply(payload as { snapshot: PresenceEntry[] } | PresenceEntry),
		);
		notify(handler, this.#entries);
		return () => {
			this.#handlers.delete(handler);
			if (this.#handlers.size > 0) return;
			this.#unsubscribe?.();
			this.#unsubscribe = undefined;
		};
	}

	#apply(payload: { snapshot: PresenceEntry[] } | PresenceEntry): void {
		// A new map each time, so UI frameworks see the change.
		const next = new Map("snapshot" in payload ? [] : this.#entries);
		if ("snapshot" in payload) for (const entry of payload.snapshot) next.set(entry.conn, entry);
		else if (payload.data === null) next.delete(payload.conn);
		else next.set(payload.conn, payload);
		this.#entries = next;
		for (const handler of [...this.#handlers]) notify(handler, next);
	}
}
