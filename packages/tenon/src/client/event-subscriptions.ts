// A connection's event listeners, and the server-side subscriptions they stand for.
import type { ToServer } from "../protocol/messages.js";

interface Listener {
	// biome-ignore lint/suspicious/noExplicitAny: stored listeners of every event's argument types; each was typed where it was registered.
	callback: (...args: any[]) => void;
	once: boolean;
}

/** What the subscriptions need of their connection. */
export interface SubscriptionHost {
	/** Sends `message` if the connection is open; false when it is not (nothing is queued). */
	send(message: ToServer): boolean;
	/** The server knows this connection (it opened before), so a reconnect resumes its subscriptions. */
	resumable(): boolean;
	/** Runs a user callback; one that throws is logged, not thrown. */
	safely(run: () => unknown): void;
}

/**
 * The listeners of each event, and the subscriptions they keep on the
 * server: the first listener of an event subscribes, the last one gone
 * unsubscribes, and a connection that opens (again) subscribes to every
 * event that still has one.
 */
export class EventSubscriptions {
	readonly #host: SubscriptionHost;
	#listeners = new Map<string, Set<Listener>>();
	/**
	 * Events whose last listener went while the socket was down: a resumed
	 * connection keeps the subscriptions the server stored with it, so the
	 * unsubscribe goes out when it opens again.
	 */
	#unsentUnsubscribes = new Set<string>();

	constructor(host: SubscriptionHost) {
		this.#host = host;
	}

	/** Adds a listener of `name`; the function returned removes it. */
	// biome-ignore lint/suspicious/noExplicitAny: stored listeners of every event's argument types; each was typed where it was registered.
	add(name: string, callback: (...args: any[]) => void, once: boolean): () => void {
		const listener: Listener = { callback, once };
		let listeners = this.#listeners.get(name);
		if (!listeners) {
			listeners = new Set();
			this.#listeners.set(name, listeners);
			this.#unsentUnsubscribes.delete(name);
			this.#subscribe(name, true);
		}
		listeners.add(listener);
		return () => this.#remove(name, listener);
	}

	/** Hands an event the server sent to its listeners (a `once` one is removed first). */
	dispatch(name: string, args: unknown[]): void {
		const listeners = this.#listeners.get(name);
		if (!listeners) return;
		// A copy: listeners added by a callback hear the next event, not this one.
		for (const listener of [...listeners]) {
			if (listener.once) this.#remove(name, listener);
			this.#host.safely(() => listener.callback(...args));
		}
	}

	/** The connection opened: the unsubscribes it owes go out, then a subscription per event listened to. */
	opened(): void {
		for (const eventName of this.#unsentUnsubscribes) this.#subscribe(eventName, false);
		this.#unsentUnsubscribes.clear();
		for (const eventName of this.#listeners.keys()) this.#subscribe(eventName, true);
	}

	/** Ends and restarts the server's subscription to `name` (the server answers with a snapshot). */
	resubscribe(name: string): void {
		this.#subscribe(name, false);
		this.#subscribe(name, true);
	}

	/**
	 * Removes a listener (an unsubscribe call, or a `once` one that fired); the
	 * last one of an event ends the server's subscription, and a reconnect
	 * does not subscribe to it again.
	 */
	#remove(name: string, listener: Listener): void {
		const current = this.#listeners.get(name);
		if (!current?.delete(listener) || current.size > 0) return;
		this.#listeners.delete(name);
		const sent = this.#subscribe(name, false);
		// Only a connection the server knows (one that opened before) can resume with it.
		if (!sent && this.#host.resumable()) this.#unsentUnsubscribes.add(name);
	}

	#subscribe(eventName: string, subscribe: boolean): boolean {
		return this.#host.send({ tag: "SubscriptionRequest", eventName, subscribe });
	}
}
