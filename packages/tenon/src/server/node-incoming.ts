// A Node request as the transport-neutral routes read it (incoming.ts), and
// their reply written back with `writeHead`/`end`: the action route serves a
// Node request without a Web `Request`, its header copy, body stream and
// abort signal, nor a Web `Response` (see docs/server.md, "Node adapter").

import type { IncomingMessage, ServerResponse } from "node:http";
import { finished } from "node:stream";
import { errors } from "../protocol/errors.js";
import { BodyChunks, ChunkBudget } from "./body-chunks.js";
import type {
	BodySource,
	HeaderLookup,
	IncomingCall,
	IncomingUpgrade,
	RequestHead,
} from "./incoming.js";
import { lingerAfterAnswer } from "./lingering-close.js";
import type { Reply } from "./reply.js";
import { bodyError } from "./request-body.js";

/** Header values the Fetch API refuses (`Headers#append` throws): left out, as toHeaders does. */
const REFUSED_VALUE = /[\0\r\n]/;

/**
 * A Node request's headers as `Headers#get` reads them: case-insensitive,
 * repeated headers joined with ", " (a repeated `Cookie` with "; ", as
 * undici's `Headers` joins it). Read from `rawHeaders`, not from
 * `req.headers`, which keeps only the first of a repeated `Authorization`,
 * `Content-Type` or `Host` (and joins `Cookie` with "; "): the checks must see
 * what they see on a Web `Request`. Each lookup scans the list: a request has
 * about ten headers, and an index (a `Map` per request) cost more than the
 * dozen scans a call makes, and lived as long as the call.
 */
export function rawHeaderLookup(raw: readonly string[]): HeaderLookup {
	return new RawHeaders(raw);
}

class RawHeaders implements HeaderLookup {
	readonly #raw: readonly string[];

	constructor(raw: readonly string[]) {
		this.#raw = raw;
	}

	get(name: string): string | null {
		const raw = this.#raw;
		const wanted = name.toLowerCase();
		let found: string | null = null;
		for (let i = 0; i + 1 < raw.length; i += 2) {
			const rawName = raw[i] as string;
			if (rawName.length !== wanted.length) continue;
			if (rawName !== wanted && rawName.toLowerCase() !== wanted) continue;
			// Node's parser already trimmed the whitespace around the value.
			const value = raw[i + 1] as string;
			if (REFUSED_VALUE.test(value)) continue;
			found = found === null ? value : `${found}${wanted === "cookie" ? "; " : ", "}${value}`;
		}
		return found;
	}
}

/** Web `Headers` of a Node request (values the Fetch API refuses are left out). */
export function toHeaders(req: IncomingMessage): Headers {
	return headersOf(req.rawHeaders);
}

/** Web `Headers` from a Node request's `rawHeaders`. */
function headersOf(raw: readonly string[]): Headers {
	const headers = new Headers();
	for (let i = 0; i + 1 < raw.length; i += 2) {
		const name = raw[i] as string;
		if (name.startsWith(":")) continue;
		try {
			headers.append(name, raw[i + 1] as string);
		} catch {
			// A header value the Fetch API refuses; not one Tenon reads.
		}
	}
	return headers;
}

/** A `.` or `..` path segment, plain or percent-encoded, or a backslash (read as `/`). */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)|\\/i;

/**
 * The URL of a Node request. Its host is the client's Host header when that
 * is a plain host name (hooks see it in `c.request.url`); the core checks it
 * against allowedHosts. Throws on a request target that is not a URL, or
 * whose path has a dot segment or a backslash.
 */
export function requestUrl(req: IncomingMessage): URL {
	const host = req.headers.host;
	const base =
		host !== undefined && /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host)
			? `http://${host}`
			: "http://localhost";
	const target = req.url ?? "/";
	// `new URL` resolves `..`, `%2e%2e` and `\`: `/gateway/a/request/../action/x` ran an
	// action, past a proxy rule on the path prefix (a probe, 2026-11-27). Refused (400).
	// The path ends at the query or the fragment (`/a/..#x` resolved to `/`: a review).
	const end = target.search(/[?#]/);
	if (DOT_SEGMENT.test(end === -1 ? target : target.slice(0, end)))
		throw new TypeError("a request target with a dot segment or a backslash");
	// A path is appended to the base, not resolved against it: resolved,
	// `//other/inspector` would name the host "other" and the path
	// `/inspector`, past a proxy rule on the path prefix.
	if (target.startsWith("/")) return new URL(base + target);
	// An absolute-form target (`http://name/path`) keeps only its path and
	// query: the host is the Host header's, the one the host check read.
	const absolute = new URL(target);
	return new URL(base + absolute.pathname + absolute.search);
}

/**
 * A Node request's body read whole into memory, within a limit, without a
 * stream in between. A body refused before it was read is discarded by Node
 * itself once the answer is written (nothing consumed it).
 */
class NodeBody implements BodySource {
	readonly #req: IncomingMessage;
	received = 0;
	/** Ends the read in progress, if any. */
	#abort: ((error: Error) => void) | undefined;

	constructor(req: IncomingMessage) {
		this.#req = req;
	}

	abort(error: Error): void {
		this.#abort?.(error);
	}

	readAll(limit: number, arrived?: (received: number) => void): Promise<Uint8Array> {
		const req = this.#req;
		return new Promise((resolve, reject) => {
			const chunks = new BodyChunks();
			let settled = false;
			const fail = (error: Error) => {
				if (settled) return;
				settled = true;
				stop();
				reject(error);
			};
			this.#abort = fail;
			const budget = ChunkBudget.forBody(req.headers);
			const onData = (chunk: Buffer) => {
				this.received += chunk.byteLength;
				const fragmented = budget !== undefined && !budget.take(chunk.byteLength);
				let refused: Error | undefined;
				if (this.received <= limit && !fragmented) {
					try {
						arrived?.(this.received);
						chunks.add(chunk);
						return;
					} catch (error) {
						refused = error as Error;
					}
				}
				fail(
					refused ??
						(fragmented
							? errors.bodyFragmented()
							: errors.incomingTooLong("The request body", limit)),
				);
				// The rest flows to nowhere, so a client still sending gets the
				// answer (the adapter closes the connection after it).
				req.resume();
			};
			const stopFinished = finished(req, (error) => {
				if (settled) return;
				settled = true;
				stop();
				if (error !== undefined && error !== null) {
					reject(bodyError(error));
					return;
				}
				// A copy: a chunk may be a view of a larger buffer, which a value
				// decoded from it (a CBOR byte string) would otherwise keep whole.
				resolve(chunks.bytes(true));
			});
			const stop = () => {
				req.off("data", onData);
				stopFinished();
			};
			req.on("data", onData);
		});
	}

	async discard(): Promise<void> {
		this.#req.resume();
	}
}

/** A Node request as an {@link IncomingCall} (`url`: its {@link requestUrl}). */
export function nodeCall(req: IncomingMessage, url: URL): IncomingCall {
	const head: RequestHead = {
		method: req.method ?? "GET",
		url: url.href,
		headers: rawHeaderLookup(req.rawHeaders),
	};
	return { head, body: new NodeBody(req), webHeaders: () => toHeaders(req) };
}

/**
 * A WebSocket upgrade request as the core's upgrade hook reads it, without a
 * Web `Request` (its header copy, abort signal and finalizer per connection).
 * It keeps the request's `rawHeaders` (for hooks' `c.request.headers`, made
 * on first use), not the request itself, nor its socket.
 */
export function nodeUpgrade(req: IncomingMessage, url: URL): IncomingUpgrade {
	const raw = req.rawHeaders;
	return {
		head: { method: req.method ?? "GET", url: url.href, headers: rawHeaderLookup(raw) },
		webHeaders: () => headersOf(raw),
	};
}

/**
 * Writes `reply` in one go (status line, headers with its length, body).
 * A body the client is still sending (refused, or answered before it was
 * read) ends the connection after the answer, which would otherwise start
 * the next request in the middle of that body (and lingers: lingering-close.ts);
 * so does a server closing.
 */
export function writeReply(
	req: IncomingMessage,
	res: ServerResponse,
	reply: Reply,
	closing: boolean,
	lingerMs: number,
): void {
	const headers = reply.headers.toList();
	const body = reply.body;
	const length =
		body === null ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
	headers.push("content-length", String(length));
	if (closing || !req.complete) headers.push("connection", "close");
	if (!req.complete) lingerAfterAnswer(req.socket, lingerMs);
	res.writeHead(reply.status, headers);
	if (body === null) res.end();
	else res.end(body);
}
