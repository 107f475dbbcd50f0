// `GET /inspector/actors/{id}/events/stream`: the events the actor broadcasts,
// as newline-delimited JSON, recorded once sent (after their turn committed).
// The first line holds the events kept so far (the log exists only while a
// stream follows the actor, so it starts empty); later lines hold new ones,
// batched at most ten times a second. A client that reads slower than the
// actor sends loses the oldest unsent events and is told how many (`dropped`).
// A blank line every 15 s keeps proxies from closing an idle stream.

import { encodeValue } from "../protocol/encoding.js";
import type { ActorGateway, SentEvent } from "../runtime/actor-gateway.js";
import { NDJSON_HEADERS } from "./inspector-stream.js";
import { type StreamCaller, takeStreamSlot } from "./inspector-stream-slots.js";

const KEEPALIVE_MS = 15_000;
const FLUSH_INTERVAL_MS = 100;
/** Events waiting to be written to one client, at most. */
const MAX_PENDING = 200;

/**
 * The streaming response; throws `limit/too_many_requests` when no stream
 * slot is left for `caller` (see inspector-stream-slots.ts).
 */
export function eventStream(
	request: Request,
	actorId: string,
	actors: ActorGateway,
	caller: StreamCaller,
): Response {
	const releaseSlot = takeStreamSlot(actors, caller);
	const encoder = new TextEncoder();
	let closed = false;
	let pending: SentEvent[] = [];
	let dropped = 0;
	let flushTimer: ReturnType<typeof setTimeout> | undefined;
	let keepalive: ReturnType<typeof setInterval> | undefined;
	let stopFollowing = () => {};
	let controller!: ReadableStreamDefaultController<Uint8Array>;

	const send = (value: unknown) => {
		if (closed) return;
		const line = value === "" ? "" : (encodeValue("json", value) as string);
		controller.enqueue(encoder.encode(`${line}\n`));
	};
	const flush = () => {
		flushTimer = undefined;
		if (pending.length === 0 && dropped === 0) return;
		// The client has not read what was sent: hold these (the oldest make room) and try later.
		if ((controller.desiredSize ?? 1) <= 0) {
			flushTimer = setTimeout(flush, FLUSH_INTERVAL_MS);
			return;
		}
		send({ events: pending, ...(dropped > 0 ? { dropped } : {}) });
		pending = [];
		dropped = 0;
	};
	const close = () => {
		if (closed) return;
		closed = true;
		releaseSlot();
		stopFollowing();
		if (flushTimer !== undefined) clearTimeout(flushTimer);
		if (keepalive !== undefined) clearInterval(keepalive);
		try {
			controller.close();
		} catch {
			// Already closed or cancelled.
		}
	};
	const onEvent = (event: SentEvent) => {
		if (closed) return;
		pending.push(event);
		if (pending.length > MAX_PENDING) {
			pending.shift();
			dropped++;
		}
		flushTimer ??= setTimeout(flush, FLUSH_INTERVAL_MS);
	};

	const body = new ReadableStream<Uint8Array>(
		{
			start(streamController) {
				controller = streamController;
				// A client gone before the stream started: its slot goes back at once.
				if (request.signal.aborted) {
					close();
					return;
				}
				const followed = actors.inspector.followEvents(actorId, onEvent);
				stopFollowing = followed.stop;
				send({ events: followed.backlog, status: actors.isAwake(actorId) ? "awake" : "sleeping" });
				keepalive = setInterval(() => send(""), KEEPALIVE_MS);
				request.signal.addEventListener("abort", close, { once: true });
			},
			cancel: close,
			// Lines queued for a slow reader, at most: then events wait in `pending`.
		},
		new CountQueuingStrategy({ highWaterMark: 8 }),
	);
	return new Response(body, { headers: NDJSON_HEADERS });
}
