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

/** The listeners of one provider, by event (`synced` kept with `sync`). */
export class ProviderListeners {
	/** Per event, each listener and whether it is told once only. */
	readonly #byEvent = new Map<"sync" | "status", Map<AnyListener, boolean>>();

	add(event: ProviderEvent, listener: AnyListener, once: boolean): void {
		const key = keyOf(event);
		let listeners = this.#byEvent.get(key);
		if (listeners === undefined) {
			listeners = new Map();
			this.#byEvent.set(key, listeners);
		}
		listeners.set(listener, once);
	}

	remove(event: ProviderEvent, listener: AnyListener): void {
		this.#byEvent.get(keyOf(event))?.delete(listener);
	}

	/** Tells `value` to the event's listeners; one that throws is reported and stops nothing. */
	emit<E extends "sync" | "status">(event: E, value: Parameters<ProviderEventMap[E]>[0]): void {
		const listeners = this.#byEvent.get(event);
		if (listeners === undefined) return;
		for (const [listener, once] of [...listeners]) {
			if (once) listeners.delete(listener);
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
