import type { IncomingMessage } from "node:http";
import { finished } from "node:stream";
import { clientGoneError } from "../common/client-gone.js";
import { errors } from "../protocol/errors.js";
import { ChunkBudget } from "./body-chunks.js";

/**
 * The body of a Node request as a Web `ReadableStream`, read as its consumer
 * pulls: the request is paused while the stream's queue is full.
 *
 * Made by hand rather than with `Readable.toWeb(req)`, whose Node 20 version
 * fails the readers that enforce a size limit (they cancel while the client
 * is still sending):
 * - its `data` listener outlives a cancel, so a chunk that a resume scheduled
 *   just before the cancel delivers afterwards is enqueued on the closed
 *   controller: an uncaught "Invalid state: Controller is already closed"
 *   that ends the process (https://github.com/nodejs/node/issues/64529);
 * - its cancel destroys the request, and Node then stops reading the socket:
 *   the rest of the body is never read and the keep-alive connection hangs,
 *   so a client that sends its next request on it gets a reset.
 *
 * Here a cancel detaches the stream and discards the rest of the body as it
 * arrives, so a client still sending gets the answer (a 413, say) instead of
 * a stalled upload; the adapter closes such a connection after the answer
 * ({@link NodeRequestBody.complete}).
 */
export class NodeRequestBody {
	readonly stream: ReadableStream<Uint8Array>;
	readonly #req: IncomingMessage;
	/** Chunks still go to the stream (not ended, errored, cancelled or discarded). */
	#open = true;
	#controller!: ReadableStreamDefaultController<Uint8Array>;
	#budget: ChunkBudget | undefined;
	readonly #onData = (chunk: Buffer) => {
		if (!this.#open) return;
		if (this.#budget !== undefined && !this.#budget.take(chunk.byteLength)) {
			// Too many chunks for the body's size (see ChunkBudget): the reader gets the
			// error, the rest flows to nowhere, and the connection closes after the answer.
			this.#controller.error(errors.bodyFragmented());
			this.#discard();
			return;
		}
		// A copy: the chunk may be a view of a larger buffer, which a consumer
		// that keeps the chunk (or its `.buffer`) would otherwise keep whole.
		this.#controller.enqueue(new Uint8Array(chunk));
		if ((this.#controller.desiredSize ?? 0) <= 0) this.#req.pause();
	};

	constructor(req: IncomingMessage) {
		this.#req = req;
		this.#budget = ChunkBudget.forBody(req.headers);
		// Paused before the listener is added (which would start the flow): the
		// stream's pulls resume it.
		req.pause();
		req.on("data", this.#onData);
		finished(req, (error) => {
			if (!this.#open) return;
			this.#open = false;
			if (error === undefined || error === null) this.#controller.close();
			else this.#controller.error(bodyError(error));
		});
		this.stream = new ReadableStream<Uint8Array>(
			{
				start: (controller) => {
					this.#controller = controller;
				},
				pull: () => {
					if (this.#open) req.resume();
				},
				cancel: () => this.#discard(),
			},
			{ highWaterMark: req.readableHighWaterMark, size: (chunk) => chunk.byteLength },
		);
	}

	/** The client sent the whole body (whether or not it was read). */
	get complete(): boolean {
		return this.#req.complete;
	}

	/**
	 * After the answer: a body nobody took a reader for is discarded, so the
	 * connection reads on (Node's own `_dump` would, had the stream not pulled).
	 */
	answered(): void {
		if (this.#open && !this.stream.locked) {
			this.#controller.error(new DOMException("The request was answered", "AbortError"));
			this.#discard();
		}
	}

	/** Stops feeding the stream and lets the rest of the body flow to nowhere. */
	#discard(): void {
		this.#open = false;
		this.#req.off("data", this.#onData);
		this.#req.resume();
	}
}

/**
 * An abort (the client went away mid-body: its connection closed, or reset, which Node reports
 * as `Error: aborted`, ECONNRESET) as an `AbortError`, like `fetch` bodies.
 */
export function bodyError(error: Error): Error {
	const code = (error as NodeJS.ErrnoException).code;
	if (code !== "ERR_STREAM_PREMATURE_CLOSE" && code !== "ECONNRESET") return error;
	return clientGoneError();
}
