// `GET /inspector/actors/{id}/state/stream`: the actor's committed state as
// newline-delimited JSON, one line now and one after each commit that changed
// it (coalesced while a read is under way, at most ten a second), so the
// inspector shows turns as they commit without polling. A blank line every
// 15 s keeps proxies from closing an idle stream. It ends when the client goes away.

import { encodeValue } from "../protocol/encoding.js";
import { toErrorPayload } from "../protocol/errors.js";
import type { ActorGateway } from "../runtime/actor-gateway.js";
import { openStateLines, type StateLines } from "./inspector-state-lines.js";
import { type StreamCaller, takeStreamSlot } from "./inspector-stream-slots.js";

const KEEPALIVE_MS = 15_000;
const MIN_INTERVAL_MS = 100;

/** Headers of an NDJSON stream. */
export const NDJSON_HEADERS = {
	"content-type": "application/x-ndjson; charset=utf-8",
	"cache-control": "no-store",
	"x-content-type-options": "nosniff",
};

/**
 * The streaming response; throws `limit/too_many_requests` when no stream
 * slot is left for `caller` (see inspector-stream-slots.ts; the app retries a second later).
 */
export function stateStream(
	request: Request,
	actorId: string,
	actors: ActorGateway,
	caller: StreamCaller,
): Response {
	const releaseSlot = takeStreamSlot(actors, caller);
	const encoder = new TextEncoder();
	let closed = false;
	let reading = false;
	let again = false;
	let last = "";
	let lines: StateLines | undefined;
	let keepalive: ReturnType<typeof setInterval> | undefined;
	let controller!: ReadableStreamDefaultController<Uint8Array>;

	const close = () => {
		if (closed) return;
		closed = true;
		releaseSlot();
		lines?.close();
		if (keepalive !== undefined) clearInterval(keepalive);
		try {
			controller.close();
		} catch {
			// Already closed or cancelled.
		}
	};
	/** Lines not sent while the reader was behind: the newest state goes when it catches up. */
	let behind = false;
	/**
	 * Sends a line unless the reader has not taken the last one yet: a reader
	 * that stopped reading held every state line (the whole state, up to ten a
	 * second) in the server's memory until its socket closed (an attacker probe
	 * grew the server by 5 MB a second per stalled stream).
	 */
	const send = (line: string): boolean => {
		if (closed) return false;
		if ((controller.desiredSize ?? 0) <= 0) {
			behind = true;
			return false;
		}
		controller.enqueue(encoder.encode(`${line}\n`));
		return true;
	};
	const read = async () => {
		if (reading) {
			again = true;
			return;
		}
		reading = true;
		try {
			for (;;) {
				again = false;
				if (closed || lines === undefined) break;
				// A reader that has not taken the last line gets no read at all (the state is
				// read and encoded for nobody): the newest goes when it catches up (`pull`).
				if ((controller.desiredSize ?? 0) <= 0) {
					behind = true;
					break;
				}
				const line = await lines.line();
				if (line !== last && send(line)) last = line;
				if (!again || closed) break;
				// A busy actor commits far more often than anyone can read: at most 10 lines a second.
				await new Promise((resolve) => setTimeout(resolve, MIN_INTERVAL_MS));
			}
		} catch (error) {
			send(encodeValue("json", { error: toErrorPayload(error, false) }) as string);
			close();
		} finally {
			reading = false;
		}
	};

	const body = new ReadableStream<Uint8Array>(
		{
			start(streamController) {
				controller = streamController;
				if (request.signal.aborted) {
					close();
					return;
				}
				lines = openStateLines(actors, actorId, () => void read());
				keepalive = setInterval(() => send(""), KEEPALIVE_MS);
				request.signal.addEventListener("abort", close, { once: true });
				void read();
			},
			// The reader took a line: if states went unsent meanwhile, the newest goes now.
			pull() {
				if (!behind) return;
				behind = false;
				void read();
			},
			cancel: close,
		},
		// One line queued at most (a line is a whole state).
		{ highWaterMark: 1 },
	);
	return new Response(body, { headers: NDJSON_HEADERS });
}
