// The events a TenonYjsProvider tells, named and shaped as y-websocket's provider tells them
// (`sync`, `synced`, `status`), with lib0 Observable's `on`, `once` and `off`: an editor's
// code written for y-websocket listens the same way.

/** The connection's status, as y-websocket's `status` event tells it. */
export type ProviderStatus = "connecting" | "connected" | "disconnected";

/** Each event of a provider and what its listeners get. */
export interface ProviderEventMap {
	/** True once the document caught up with the actor's; false when the connection closes. */
	sync: (synced: boolean) => void;
	/** y-websocket's other name for `sync`: the same listeners, told the same. */
	synced: (synced: boolean) => void;
	/** The connection's status changed. */
	status: (event: { status: ProviderStatus }) => void;
}

export type ProviderEvent = keyof ProviderEventMap;

type AnyListener = (value: never) => void;

/** A listener as added: told every time, or once. */
interface Entry {
	readonly listener: AnyListener;
	readonly once: boolean;
}

/** The listeners of one provider, by event (`synced` kept with `sync`). */
export class ProviderListeners {
	/**
	 * Per event, each listener as added. `on(f)` and `once(f)` of one function are two entries
	 * (as lib0's, which wraps a `once`): keyed by the function, a `once` turned an `on` into a
	 * one-shot (a review, 2026-11-29). The same function added the same way twice is one.
	 */
	readonly #byEvent = new Map<"sync" | "status", Entry[]>();

	add(event: ProviderEvent, listener: AnyListener, once: boolean): void {
		const key = keyOf(event);
		let entries = this.#byEvent.get(key);
		if (entries === undefined) {
			entries = [];
			this.#byEvent.set(key, entries);
		}
		if (!entries.some((entry) => entry.listener === listener && entry.once === once))
			entries.push({ listener, once });
	}

	/** Removes `listener` from the event, however it was added. */
	remove(event: ProviderEvent, listener: AnyListener): void {
		const key = keyOf(event);
		const entries = this.#byEvent.get(key);
		if (entries !== undefined)
			this.#byEvent.set(
				key,
				entries.filter((entry) => entry.listener !== listener),
			);
	}

	/** Tells `value` to the event's listeners; one that throws is reported and stops nothing. */
	emit<E extends "sync" | "status">(event: E, value: Parameters<ProviderEventMap[E]>[0]): void {
		const entries = this.#byEvent.get(event);
		if (entries === undefined || entries.length === 0) return;
		// Once-listeners go before anyone is told; listeners added meanwhile hear the next one.
		if (entries.some((entry) => entry.once))
			this.#byEvent.set(
				event,
				entries.filter((entry) => !entry.once),
			);
		for (const { listener } of entries) {
			try {
				(listener as (value: unknown) => void)(value);
			} catch (error) {
				// Reported, and the provider goes on (it runs in the connection's message handler).
				queueMicrotask(() => {
					throw error;
				});
			}
		}
	}

	clear(): void {
		this.#byEvent.clear();
	}
}

function keyOf(event: ProviderEvent): "sync" | "status" {
	if (event === "sync" || event === "synced") return "sync";
	if (event === "status") return "status";
	throw new TypeError(`TenonYjsProvider has no "${String(event)}" event`);
}

/** The provider's status for a connection's (`idle`: disposed, or not started). */
export function providerStatusOf(connStatus: string): ProviderStatus {
	if (connStatus === "connected") return "connected";
	if (connStatus === "connecting") return "connecting";
	return "disconnected";
}
