// A connection's action calls: sent and waiting for their answers, or
// queued until the connection opens.

import type { TokenBucket } from "../common/token-bucket.js";
import { activeTraceparent } from "../observability/trace-context.js";
import type { Encoding } from "../protocol/encoding.js";
import { ActorError } from "../protocol/errors.js";
import type { ToServer } from "../protocol/messages.js";
import { abortableCall, type InFlight } from "./in-flight.js";
import type { ActionCall } from "./types.js";

/** A call, waiting to be sent (the connection is not open, or enough calls are in flight) or sent. */
interface Queued {
	message: ToServer;
	inFlight: InFlight;
	id: number;
	/**
	 * Its caller aborted it: skipped when its turn comes (no search through the queue);
	 * sent, its answer is awaited and dropped (the server runs it and counts it until then).
	 */
	aborted: boolean;
	/** Times it was refused unrun because its actor was stopping (see {@link PendingCalls.reject}). */
	refusals: number;
}

/**
 * Times a call refused with `actor/stopping` is sent again: the delay doubles from 50 ms up to
 * a second, so about 35 s in all (an actor's sleep grace period is 15 s by default).
 */
const MAX_STOPPING_RETRIES = 40;
const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 1_000;

/**
 * The calls of one connection, by action id: each is sent at once when the
 * connection is open and fewer than `maxInFlight` calls wait for answers,
 * otherwise queued, and sent in order by {@link PendingCalls.flush} when the
 * connection opens and as answers come. Subscriptions are not queued here:
 * they are re-sent from the listeners (see event-subscriptions.ts).
 */
export class PendingCalls {
	readonly #encoding: Encoding;
	readonly #send: (message: ToServer) => boolean;
	readonly #maxInFlight: number;
	#nextActionId = 0;
	#inFlight = new Map<number, Queued>();
	#queued: Queued[] = [];
	/** Calls refused with `actor/stopping`, waiting to be queued again. */
	#retrying = new Map<ReturnType<typeof setTimeout>, Queued>();
	readonly #pace: TokenBucket | undefined;
	/** A flush waiting for the pace to allow the next call. */
	#paced: ReturnType<typeof setTimeout> | undefined;

	/**
	 * `send` sends a message if the connection is open, and says whether it
	 * did. At most `maxInFlight` calls are sent and unanswered at a time: a
	 * server refuses more (`limit/too_many_in_flight`, 128 by default), and a
	 * burst of 300 calls had 172 of them refused (a walkthrough, 2026-11-28).
	 * With `pace`, calls also go no faster than the server's per-connection
	 * rate allows; the rest wait their turn.
	 */
	constructor(
		encoding: Encoding,
		send: (message: ToServer) => boolean,
		maxInFlight = 128,
		pace?: TokenBucket,
	) {
		this.#encoding = encoding;
		this.#send = send;
		this.#maxInFlight = maxInFlight;
		this.#pace = pace;
	}

	/** Sends (or queues) a call; the promise settles with its answer, its abort or its failure. */
	start(call: ActionCall): Promise<unknown> {
		const id = this.#nextActionId++;
		return new Promise<unknown>((resolve, reject) => {
			const signal = call.signal;
			if (signal?.aborted) {
				reject(signal.reason);
				return;
			}
			// The caller's trace context rides along (JSON and CBOR; BARE's schema has no field for it).
			const traceparent = this.#encoding === "bare" ? undefined : activeTraceparent();
			const message: ToServer =
				traceparent === undefined
					? { tag: "ActionRequest", id, name: call.name, args: call.args ?? [] }
					: { tag: "ActionRequest", id, name: call.name, args: call.args ?? [], traceparent };
			const entry: Queued = {
				message,
				inFlight: { name: call.name, resolve, reject },
				id,
				aborted: false,
				refusals: 0,
			};
			if (signal !== undefined)
				entry.inFlight = abortableCall(call.name, signal, resolve, reject, () => {
					// Queued: skipped (10,000 calls aborted by one signal searched the queue
					// for each, 0.85 s: a review). Sent: the server runs it and counts it until
					// it answers; so does this.
					entry.aborted = true;
				});
			// Behind calls already waiting, in order.
			this.#queued.push(entry);
			this.flush();
		});
	}

	/** The server answered call `id` (an unknown id, one aborted meanwhile, is ignored). */
	resolve(id: number, output: unknown): void {
		const pending = this.#inFlight.get(id);
		if (pending === undefined) return;
		this.#inFlight.delete(id);
		if (!pending.aborted) pending.inFlight.resolve(output);
		this.flush();
	}

	/**
	 * The server failed call `id` (an unknown id, one aborted meanwhile, is ignored). One
	 * refused because its actor was stopping did not run: it is sent again, 50 ms later and
	 * twice as late each time up to a second, 40 times at most (the actor has slept and wakes
	 * for it, or the connection closed for the sleep and it goes on the next one).
	 */
	reject(id: number, error: unknown): void {
		const pending = this.#inFlight.get(id);
		if (pending === undefined) return;
		this.#inFlight.delete(id);
		if (
			!pending.aborted &&
			pending.refusals < MAX_STOPPING_RETRIES &&
			error instanceof ActorError &&
			error.group === "actor" &&
			error.code === "stopping" &&
			// The server's own refusal (not an actor/stopping the action threw after it ran).
			(error.metadata as { ran?: unknown } | undefined)?.ran === false
		) {
			const timer = setTimeout(
				() => {
					this.#retrying.delete(timer);
					this.#requeue(pending);
					this.flush();
				},
				Math.min(FIRST_RETRY_MS * 2 ** pending.refusals, MAX_RETRY_MS),
			);
			pending.refusals++;
			this.#retrying.set(timer, pending);
		} else if (!pending.aborted) pending.inFlight.reject(error);
		this.flush();
	}

	/**
	 * Sends queued calls, in order, while the connection takes them and fewer
	 * than `maxInFlight` wait for answers (the connection opened, or a call
	 * was answered); the rest stay queued.
	 */
	flush(): void {
		while (this.#queued.length > 0 && this.#inFlight.size < this.#maxInFlight) {
			if ((this.#queued[0] as Queued).aborted) {
				this.#queued.shift();
				continue;
			}
			// Taken before the send: a call the closed socket does not take costs a token (rare).
			const wait = this.#pace?.take(performance.now()) ?? 0;
			if (wait > 0) {
				this.#paced ??= setTimeout(() => {
					this.#paced = undefined;
					this.flush();
				}, wait);
				return;
			}
			// Off the queue before it is sent: an answer the send brings at once (a
			// WebSocket class that delivers synchronously) flushes again, and must not
			// send this call a second time.
			const entry = this.#queued.shift() as Queued;
			this.#inFlight.set(entry.id, entry);
			let sent: boolean;
			try {
				sent = this.#send(entry.message);
			} catch (error) {
				// Its arguments cannot be encoded (a cycle, too deep): this call fails, the
				// others go on (at the head of the queue, it held back every later call).
				this.#inFlight.delete(entry.id);
				entry.inFlight.reject(error);
				continue;
			}
			if (!sent) {
				this.#inFlight.delete(entry.id);
				this.#queued.unshift(entry);
				return;
			}
		}
	}

	/** The socket closed after its calls in flight were refused unrun: sent again, first, in order. */
	requeueInFlight(): void {
		const unrun = [...this.#inFlight.values()];
		this.#inFlight.clear();
		for (const entry of unrun) if (!entry.aborted) this.#requeue(entry);
	}

	/**
	 * Puts a call back in the queue where its id says: ahead of calls made after it, behind
	 * those made before (the queue is in id order). Put at the head, calls refused while the
	 * connection was down went out in reverse order (a review, 2026-11-29).
	 */
	#requeue(entry: Queued): void {
		const queued = this.#queued;
		let low = 0;
		let high = queued.length;
		while (low < high) {
			const middle = (low + high) >>> 1;
			if ((queued[middle] as Queued).id < entry.id) low = middle + 1;
			else high = middle;
		}
		queued.splice(low, 0, entry);
	}

	/** The socket is gone: every call sent on it fails with `error` (queued ones wait on). */
	failInFlight(error: unknown): void {
		for (const pending of this.#inFlight.values())
			if (!pending.aborted) pending.inFlight.reject(error);
		this.#inFlight.clear();
	}

	/** The connection gave up (or was disposed): every queued call fails with `error`. */
	failQueued(error: unknown): void {
		clearTimeout(this.#paced);
		this.#paced = undefined;
		for (const [timer, entry] of this.#retrying) {
			clearTimeout(timer);
			if (!entry.aborted) entry.inFlight.reject(error);
		}
		this.#retrying.clear();
		for (const entry of this.#queued) if (!entry.aborted) entry.inFlight.reject(error);
		this.#queued = [];
	}
}
