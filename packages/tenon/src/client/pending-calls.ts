// A connection's action calls: sent and waiting for their answers, or
// queued until the connection opens.
import { activeTraceparent } from "../observability/trace-context.js";
import type { Encoding } from "../protocol/encoding.js";
import type { ToServer } from "../protocol/messages.js";
import { abortableCall, type InFlight } from "./in-flight.js";
import type { ActionCall } from "./types.js";

/** A message waiting for the connection to open, with the call it starts. */
interface Queued {
	message: ToServer;
	inFlight?: InFlight;
	id?: number;
}

/**
 * The calls of one connection, by action id: each is sent at once when the
 * connection is open, otherwise queued and sent by {@link PendingCalls.flush}
 * when it opens. Subscriptions are not queued here: they are re-sent from
 * the listeners (see event-subscriptions.ts).
 */
export class PendingCalls {
	readonly #encoding: Encoding;
	readonly #send: (message: ToServer) => boolean;
	#nextActionId = 0;
	#inFlight = new Map<number, InFlight>();
	#queued: Queued[] = [];

	/** `send` sends a message if the connection is open, and says whether it did. */
	constructor(encoding: Encoding, send: (message: ToServer) => boolean) {
		this.#encoding = encoding;
		this.#send = send;
	}

	/** Sends (or queues) a call; the promise settles with its answer, its abort or its failure. */
	start(call: ActionCall): Promise<unknown> {
		const id = this.#nextActionId++;
		return new Promise<unknown>((resolve, reject) => {
			const signal = call.signal;
			const inFlight: InFlight =
				signal === undefined
					? { name: call.name, resolve, reject }
					: abortableCall(call.name, signal, resolve, reject, () => {
							this.#inFlight.delete(id);
							this.#queued = this.#queued.filter((entry) => entry.id !== id);
						});
			// The caller's trace context rides along (JSON and CBOR; BARE's schema has no field for it).
			const traceparent = this.#encoding === "bare" ? undefined : activeTraceparent();
			const message: ToServer =
				traceparent === undefined
					? { tag: "ActionRequest", id, name: call.name, args: call.args ?? [] }
					: { tag: "ActionRequest", id, name: call.name, args: call.args ?? [], traceparent };
			if (signal?.aborted) {
				reject(signal.reason);
				return;
			}
			this.#inFlight.set(id, inFlight);
			if (!this.#send(message)) {
				this.#inFlight.delete(id);
				this.#queued.push({ message, inFlight, id });
			}
		});
	}

	/** The server answered call `id` (an unknown id, one aborted meanwhile, is ignored). */
	resolve(id: number, output: unknown): void {
		const pending = this.#inFlight.get(id);
		this.#inFlight.delete(id);
		pending?.resolve(output);
	}

	/** The server failed call `id` (an unknown id, one aborted meanwhile, is ignored). */
	reject(id: number, error: unknown): void {
		const pending = this.#inFlight.get(id);
		this.#inFlight.delete(id);
		pending?.reject(error);
	}

	/** The connection opened: the queued calls go out, those it cannot send stay queued. */
	flush(): void {
		const queued = this.#queued;
		this.#queued = [];
		for (const entry of queued) {
			if (entry.inFlight && entry.id !== undefined) this.#inFlight.set(entry.id, entry.inFlight);
			if (!this.#send(entry.message)) {
				if (entry.id !== undefined) this.#inFlight.delete(entry.id);
				this.#queued.push(entry);
			}
		}
	}

	/** The socket is gone: every call sent on it fails with `error` (queued ones wait on). */
	failInFlight(error: unknown): void {
		for (const pending of this.#inFlight.values()) pending.reject(error);
		this.#inFlight.clear();
	}

	/** The connection gave up (or was disposed): every queued call fails with `error`. */
	failQueued(error: unknown): void {
		for (const entry of this.#queued) entry.inFlight?.reject(error);
		this.#queued = [];
	}
}
