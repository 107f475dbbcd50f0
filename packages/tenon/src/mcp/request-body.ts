// The body of an MCP request, before the SDK reads it: its size, the batch
// shapes the SDK would mishandle, and the JSON-RPC errors answered for them.
import { concatBytes } from "../protocol/bytes.js";
import { isRecord } from "./tool-arguments.js";

/**
 * Reads a request body of at most `limit` bytes; undefined when it is longer.
 * A longer body is left unread, not cancelled: on Node 20, cancelling a body
 * that `Readable.toWeb` made while data is still arriving throws an uncaught
 * "Controller is already closed"; left alone, Node discards the rest once
 * the (connection-closing) answer is sent.
 */
export async function readBodyWithin(
	request: Request,
	limit: number,
): Promise<Uint8Array | undefined> {
	if (Number(request.headers.get("content-length")) > limit) return undefined;
	if (request.body === null) return new Uint8Array(0);
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let total = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		total += value.byteLength;
		if (total > limit) {
			reader.releaseLock();
			return undefined;
		}
		chunks.push(value);
	}
	return concatBytes(chunks);
}

/**
 * Deepest nesting a body may have before it is parsed: well beyond what tool
 * arguments may hold (their own limit answers as a tool result), and low
 * enough that parsing stays cheap (120,000 levels in 240 KB took the parser
 * alone 35 to 80 ms, before the rest of the handler walked them).
 */
export const MAX_BODY_DEPTH = 1_000;

/**
 * True if the JSON text nests `[` and `{` at most `max` deep (strings
 * skipped): a linear scan of the text, about a millisecond for 256 KiB.
 */
export function nestsWithin(text: string, max: number): boolean {
	let depth = 0;
	let inString = false;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (inString) {
			if (code === 0x5c)
				i++; // a backslash escapes the next character
			else if (code === 0x22) inString = false;
		} else if (code === 0x22) inString = true;
		else if (code === 0x5b || code === 0x7b) {
			if (++depth > max) return false;
		} else if (code === 0x5d || code === 0x7d) depth--;
	}
	return true;
}

/** True for a batch in which two requests (messages with a method and an id) share their id. */
export function hasRepeatedIds(body: unknown): boolean {
	if (!Array.isArray(body)) return false;
	const seen = new Set<string>();
	for (const message of body) {
		if (!isRecord(message) || typeof message.method !== "string") continue;
		const { id } = message;
		if (typeof id !== "string" && typeof id !== "number") continue;
		const key = `${typeof id}:${id}`;
		if (seen.has(key)) return true;
		seen.add(key);
	}
	return false;
}

/**
 * The body without its `notifications/cancelled` messages; undefined when
 * nothing else is left. This endpoint is stateless, so a cancellation can only
 * name a request of its own body; the SDK then never answers that request,
 * and with JSON responses the transport waits for every answer: the request
 * hung and kept its server for good. A caller cancels a call by closing its
 * HTTP request.
 */
export function withoutCancellations(body: unknown): unknown {
	if (Array.isArray(body)) {
		const kept = body.filter((message) => !isCancellation(message));
		return kept.length === 0 ? undefined : kept;
	}
	return isCancellation(body) ? undefined : body;
}

/** A `notifications/cancelled` notification (with no id: a request so named is answered). */
function isCancellation(message: unknown): boolean {
	return isRecord(message) && message.method === "notifications/cancelled" && !("id" in message);
}

/**
 * Resolves once `signal` aborts (the caller went away), with what `onAbort`
 * makes; `dispose` removes the listener when the answer came first.
 */
export function whenAborted<T>(
	signal: AbortSignal,
	onAbort: () => T,
): { promise: Promise<T>; dispose(): void } {
	let listener = () => {};
	const promise = new Promise<T>((resolve) => {
		listener = () => resolve(onAbort());
		if (signal.aborted) listener();
		else signal.addEventListener("abort", listener, { once: true });
	});
	return { promise, dispose: () => signal.removeEventListener("abort", listener) };
}

/** A JSON-RPC error response outside any request (id null), as the SDK's transport writes them. */
export function jsonRpcError(
	status: number,
	code: number,
	message: string,
	headers: Record<string, string> = {},
): Response {
	return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
		status,
		headers: { "content-type": "application/json", ...headers },
	});
}
