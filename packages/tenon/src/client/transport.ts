import { tracingReady, tracingSettled } from "../observability/otel-api.js";
import { injectTraceHeaders } from "../observability/trace-context.js";
import { bytesToBase64, bytesToBase64Url } from "../protocol/bytes.js";
import {
	cborEncodeCompat,
	contentTypeFor,
	decodeValue,
	type Encoding,
	encodeValue,
} from "../protocol/encoding.js";
import { ActorError } from "../protocol/errors.js";
import { decodeReplyBody } from "../protocol/http-bodies.js";
import { isQueryKeySafe, serializeKey } from "../protocol/keys.js";
import {
	type HttpAnswer,
	type HttpCall,
	NodeHttpSender,
	nodeHttpAllowed,
	RedirectAnswer,
	responseTooLarge,
} from "./node-http.js";
import { type MessageRate, sendPace } from "./send-pace.js";
import { shownUrl, withoutSecrets } from "./shown-url.js";

/** A WebSocket constructor (the browser's, Node 22's global, or the `ws` package's). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

/** The `ws` package's constructor, which takes options after the protocols. */
type NodeWsConstructor = new (
	url: string,
	protocols?: string | string[],
	options?: { maxPayload?: number },
) => WebSocket;

/** Options of `createClient`. */
export interface ClientOptions {
	/** Server URL, e.g. `http://localhost:6420` (a path prefix like `/api/tenon` is kept). */
	endpoint: string;
	/** Namespace of the actors. Default `default`. */
	namespace?: string | undefined;
	/** Wire encoding: `cbor` (the default), `bare` or `json`. CBOR and BARE keep Date, Map, Set, bigint and bytes. */
	encoding?: Encoding | undefined;
	/**
	 * Custom fetch (e.g. to add auth headers). Without it, calls on Node go
	 * over `node:http` with keep-alive sockets shared by the process's clients
	 * (much cheaper than Node's fetch), and everywhere else over the global
	 * `fetch` (docs/client.md says when Node keeps fetch too).
	 */
	fetch?: typeof fetch | undefined;
	/** Custom WebSocket implementation. Default: the global one, else the `ws` package. */
	WebSocket?: WebSocketConstructor | undefined;
	/** Extra headers on every HTTP request. */
	headers?: Record<string, string> | undefined;
	/** Reconnect backoff of connections. */
	reconnect?: { minDelayMs?: number; maxDelayMs?: number } | undefined;
	/**
	 * Longest a connection attempt may take, from opening the WebSocket to the
	 * server's `Init` (ms): past it the attempt fails with `client/connect_timeout`
	 * and the connection tries again with backoff. Default 15 000; 0 turns it off.
	 */
	connectTimeoutMs?: number | undefined;
	/**
	 * On Node (`ws`): a connection that heard nothing from the server for this
	 * long pings it, and one that still heard nothing after as long again is
	 * dropped (`client/connection_lost`) and reconnects. Default 15 000; 0 turns
	 * it off. Browsers cannot send pings.
	 */
	heartbeatMs?: number | undefined;
	/**
	 * Most action calls a connection has sent and not heard back from: later
	 * ones wait (in order) until earlier ones are answered, so a burst of calls
	 * (`Promise.all` over 300) is not refused by the server's per-connection
	 * limit (`limit/too_many_in_flight`). Default 128, a Tenon server's
	 * default `maxInFlightActionsPerConnection`; set it to a server's lower one.
	 */
	maxInFlightActions?: number | undefined;
	/**
	 * How fast a connection sends calls: at most `perSecond`, in bursts of
	 * `burst`; later ones wait, in order, so a burst is not refused by the
	 * server's per-connection rate limit (`limit/rate_limited`). Default
	 * `{ perSecond: 1000, burst: 1000 }`: a Tenon server's default
	 * `rateLimits.perConnection` with half its burst (room for the network's
	 * jitter); against another rate, set its rate and half its burst.
	 * `false`: no pacing.
	 */
	messageRate?: MessageRate | undefined;
	/**
	 * Largest HTTP answer the client reads (bytes): a larger one fails with
	 * `client/response_too_large`, without reading the rest. Default 64 MiB
	 * (a Tenon server sends at most its `maxHttpBodyBytes`, 20 MiB by default).
	 */
	maxResponseBytes?: number | undefined;
	/**
	 * Largest WebSocket message the client takes, on the `ws` package it loads
	 * itself on Node (bytes): a larger one drops the socket with
	 * `client/message_too_large` and the connection reconnects. Default 64 MiB
	 * (a Tenon server sends at most its `maxOutgoingMessageBytes`, 1 MiB by
	 * default). A `WebSocket` class passed in keeps its own limit; browsers set theirs.
	 */
	maxMessageBytes?: number | undefined;
}

/** Largest encoded input sent in the URL; larger inputs go through REST. */
const MAX_QUERY_INPUT_BYTES = 2048;

/** How a handle names its actor. */
export type HandleTarget =
	| { kind: "id"; actorId: string }
	| {
			kind: "key";
			name: string;
			key: string[];
			method: "get" | "getOrCreate";
			input?: unknown;
			hasInput: boolean;
	  };

/** Shared client plumbing: URLs, HTTP calls, WebSocket construction. */
export class ClientTransport {
	readonly endpoint: string;
	readonly namespace: string;
	readonly encoding: Encoding;
	readonly reconnectMinDelayMs: number;
	readonly reconnectMaxDelayMs: number;
	readonly connectTimeoutMs: number;
	readonly heartbeatMs: number;
	readonly maxResponseBytes: number;
	readonly maxMessageBytes: number;
	readonly messageRate: MessageRate | undefined;
	readonly maxInFlightActions: number;
	readonly #fetch: typeof fetch;
	readonly #headers: Record<string, string>;
	/** Calls over node:http (Node, no custom fetch); `undefined`: fetch. */
	#node: NodeHttpSender | undefined;
	#WebSocket: WebSocketConstructor | undefined;

	constructor(options: ClientOptions) {
		this.endpoint = options.endpoint.replace(/\/+$/, "");
		this.namespace = options.namespace ?? "default";
		this.encoding = options.encoding ?? "cbor";
		this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
		if (options.fetch === undefined && nodeHttpAllowed()) this.#node = new NodeHttpSender();
		this.#headers = options.headers ?? {};
		this.#WebSocket = options.WebSocket;
		this.reconnectMinDelayMs = options.reconnect?.minDelayMs ?? 250;
		this.reconnectMaxDelayMs = options.reconnect?.maxDelayMs ?? 10_000;
		// Clamped: a huge value must not overflow Node's timer (it would fire at once).
		this.connectTimeoutMs = Math.min(options.connectTimeoutMs ?? 15_000, 2_147_483_647);
		this.heartbeatMs = Math.min(options.heartbeatMs ?? 15_000, 2_147_483_647);
		this.maxResponseBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
		this.maxMessageBytes = options.maxMessageBytes ?? 64 * 1024 * 1024;
		const inFlight = options.maxInFlightActions ?? 128;
		if (!(Number.isInteger(inFlight) && inFlight >= 1))
			throw new TypeError("createClient: maxInFlightActions must be a positive integer");
		this.maxInFlightActions = inFlight;
		sendPace(options.messageRate); // checked here, when the client is made
		this.messageRate = options.messageRate;
	}

	/** A WebSocket constructor: configured, global, or the `ws` package (Node 20 has no global). */
	async webSocketClass(): Promise<WebSocketConstructor> {
		// Actions on the connection carry the trace context once the optional API is found.
		if (!tracingSettled()) await tracingReady();
		if (this.#WebSocket) return this.#WebSocket;
		const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
		if (global !== undefined) {
			this.#WebSocket = global;
			return global;
		}
		const module = (await import("ws")) as unknown as { WebSocket: NodeWsConstructor };
		// `ws` takes up to 100 MiB per message unless told otherwise.
		const maxPayload = this.maxMessageBytes;
		const NodeWs = module.WebSocket;
		const Bounded = class extends NodeWs {
			constructor(url: string, protocols?: string | string[]) {
				super(url, protocols, { maxPayload });
			}
		};
		this.#WebSocket = Bounded;
		return Bounded;
	}

	/** True when `target` can be addressed with the gateway query form. */
	canUseQueryForm(target: HandleTarget): boolean {
		if (target.kind !== "key" || !isQueryKeySafe(target.key)) return false;
		return !target.hasInput || cborEncodeCompat(target.input).byteLength <= MAX_QUERY_INPUT_BYTES;
	}

	/** Gateway URL for `path` under an actor id. */
	directUrl(actorId: string, path: string): string {
		return `${this.endpoint}/gateway/${encodeURIComponent(actorId)}${path}`;
	}

	/** Gateway URL in the query form (RivetKit's format). */
	queryUrl(target: Extract<HandleTarget, { kind: "key" }>, path: string): string {
		const params = new URLSearchParams();
		params.set("rvt-namespace", this.namespace);
		params.set("rvt-method", target.method);
		if (target.key.length > 0) params.set("rvt-key", target.key.join(","));
		if (target.method === "getOrCreate" && target.hasInput) {
			params.set("rvt-input", bytesToBase64Url(cborEncodeCompat(target.input)));
		}
		// The path may carry its own query (raw requests): join with `&` then.
		const separator = path.includes("?") ? "&" : "?";
		return `${this.endpoint}/gateway/${encodeURIComponent(target.name)}${path}${separator}${params}`;
	}

	/** The REST `input` field: base64 of compat CBOR. */
	encodeInput(input: unknown): string {
		return bytesToBase64(cborEncodeCompat(input));
	}

	/** Serializes a key for REST. */
	serializeKey(key: readonly string[]): string {
		return serializeKey(key);
	}

	/** Sends a request as is and returns the raw response (for `handle.fetch`). */
	rawFetch(url: string, init: RequestInit): Promise<Response> {
		const headers = new Headers(init.headers);
		for (const [name, value] of Object.entries(this.#headers))
			if (!headers.has(name)) headers.set(name, value);
		if (!headers.has("traceparent")) injectTraceHeaders(headers);
		return this.#fetch(url, { ...init, headers });
	}

	/**
	 * `fetch` without the copy of the request a redirect might need. By the
	 * Fetch standard a request is cloned (its body turned into a stream and
	 * teed) unless it may not be redirected and belongs to no window; in Node
	 * (undici) that clone cost a call with a body about 40 µs of CPU and 30 µs
	 * of latency (bench/README.md, 2026-11-24). Tenon's routes never redirect.
	 * A redirect answer is an error, and the request is not sent again: a
	 * proxy may have forwarded it before redirecting (an attacker probe had
	 * an action run twice that way), and following would carry the conn
	 * params and headers to wherever the redirect points. Browsers (and
	 * others) are asked not to follow (`manual`): their refusal of a redirect
	 * would read as any network failure, where the opaque answer they give
	 * instead tells it; a browser following a 307 sent the call, body and
	 * params, again to the redirect's target.
	 */
	async #fetchOnce(url: string, init: RequestInit): Promise<Response> {
		if (SKIP_CLONE) {
			try {
				return await this.#fetch(url, { ...init, redirect: "error", window: null });
			} catch (error) {
				if (!isRedirectRefusal(error) || init.signal?.aborted) throw error;
				throw redirected(url);
			}
		}
		const response = await this.#fetch(url, { ...init, redirect: "manual" });
		// `opaqueredirect` in browsers; a custom fetch may hand over the 3xx itself.
		if (response.type === "opaqueredirect" || REDIRECT_STATUSES.has(response.status)) {
			await response.body?.cancel().catch(() => {});
			throw redirected(url);
		}
		return response;
	}

	/** Sends a call over node:http where it can, else fetch; the whole answer. */
	async #send(url: string, call: HttpCall): Promise<HttpAnswer> {
		const node = this.#node;
		// Once loaded, no await: this is every call's path.
		if (node !== undefined && (node.loaded || (await node.ready()))) {
			try {
				return await node.send(url, call);
			} catch (error) {
				if (error instanceof RedirectAnswer) throw redirected(url);
				throw error;
			}
		}
		this.#node = undefined;
		const init: RequestInit = { method: call.method, headers: call.headers };
		if (call.body !== undefined) init.body = call.body as BodyInit;
		if (call.signal !== undefined) init.signal = call.signal;
		const response = await this.#fetchOnce(url, init);
		return {
			status: response.status,
			contentType: response.headers.get("content-type") ?? "",
			bytes: await readLimited(response, call.maxBytes),
		};
	}

	/** Sends an HTTP request and decodes the (JSON, CBOR or BARE) answer; errors become `ActorError`. */
	async request(
		method: string,
		url: string,
		options: {
			/** A value, encoded in `encoding`. */
			body?: unknown;
			/** A body already encoded in `encoding` (the gateway's BARE messages). */
			encodedBody?: string | Uint8Array;
			/** Which gateway message a BARE answer is. */
			reply?: "action" | "queue";
			encoding?: Encoding;
			headers?: Record<string, string>;
			signal?: AbortSignal;
		} = {},
	): Promise<unknown> {
		const encoding = options.encoding ?? "json";
		const headers: Record<string, string> = {
			...this.#headers,
			...options.headers,
			"x-rivet-encoding": encoding,
		};
		if (!tracingSettled()) await tracingReady();
		injectTraceHeaders(headers);
		const hasBody = options.encodedBody !== undefined || options.body !== undefined;
		if (hasBody) headers["content-type"] = contentTypeFor(encoding);
		const call: HttpCall = { method, headers, maxBytes: this.maxResponseBytes };
		if (hasBody)
			call.body = (options.encodedBody ?? encodeValue(encoding, options.body)) as
				| string
				| Uint8Array;
		if (options.signal) call.signal = options.signal;
		let response: HttpAnswer;
		try {
			response = await this.#send(url, call);
		} catch (error) {
			if (options.signal?.aborted || error instanceof ActorError) throw error;
			throw new ActorError(
				"client",
				"network_error",
				`Request to ${shownUrl(url)} failed: ${withoutSecrets(describeFetchError(error), url)}`,
			);
		}
		const { bytes, contentType } = response;
		const ok = response.status >= 200 && response.status < 300;
		const answerEncoding: Encoding = contentType.includes("json")
			? "json"
			: encoding === "bare" && options.reply !== undefined
				? "bare"
				: "cbor";
		let decoded: unknown;
		try {
			decoded =
				bytes.byteLength === 0
					? undefined
					: answerEncoding === "bare"
						? decodeReplyBody("bare", ok ? (options.reply ?? "action") : "error", bytes)
						: decodeValue(answerEncoding, bytes);
		} catch {
			throw new ActorError(
				"client",
				"bad_response",
				`Unreadable response from the server (HTTP ${response.status})`,
			);
		}
		if (!ok) {
			const payload = decoded as {
				group?: unknown;
				code?: unknown;
				message?: unknown;
				metadata?: unknown;
			};
			if (payload && typeof payload.group === "string" && typeof payload.code === "string") {
				throw new ActorError(
					payload.group,
					payload.code,
					String(payload.message ?? ""),
					payload.metadata,
				);
			}
			throw new ActorError("client", "http_error", `HTTP ${response.status} from the server`, {
				status: response.status,
			});
		}
		return decoded;
	}
}

/**
 * A fetch answer's body, up to `maxBytes`: past it the body is cancelled
 * and the call fails (`arrayBuffer()` would read a body that never ends
 * until the memory ran out).
 */
async function readLimited(response: Response, maxBytes: number): Promise<Uint8Array> {
	if (Number(response.headers.get("content-length")) > maxBytes) {
		await response.body?.cancel().catch(() => {});
		throw responseTooLarge(response.status, maxBytes);
	}
	const body = response.body;
	if (body === null) return new Uint8Array(0);
	const reader = body.getReader();
	const chunks: Uint8Array[] = [];
	let length = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		length += value.byteLength;
		if (length > maxBytes) {
			await reader.cancel().catch(() => {});
			throw responseTooLarge(response.status, maxBytes);
		}
		chunks.push(value);
	}
	// One plain Uint8Array of its own, as arrayBuffer() gave (see node-http.ts).
	const bytes = new Uint8Array(length);
	let at = 0;
	for (const chunk of chunks) {
		bytes.set(chunk, at);
		at += chunk.byteLength;
	}
	return bytes;
}

function describeFetchError(error: unknown): string {
	const cause = (error as { cause?: unknown }).cause;
	return cause === undefined ? String(error) : `${String(error)} (${String(cause)})`;
}

/**
 * Encodes connection params for a WebSocket sub-protocol. Stricter than
 * `encodeURIComponent`: `( ) ! ' *` are escaped too, since they are not valid
 * in a sub-protocol token.
 */
export function encodeParamsProtocol(params: unknown): string {
	return encodeURIComponent(JSON.stringify(params)).replace(
		/[!'()*]/g,
		(char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
	);
}

/** A redirect answer to a call: an error, and the call is not sent again. */
function redirected(url: string): ActorError {
	return new ActorError(
		"client",
		"redirected",
		`The endpoint answered ${shownUrl(url)} with a redirect; a call is not sent again (it may have run). Point the client at the endpoint's final address.`,
	);
}

/**
 * A fetch that failed because it was answered with a redirect it may not
 * follow: undici's "fetch failed" caused by "unexpected redirect" (nothing
 * else is retried: a request cut off after it was sent may have run).
 */
function isRedirectRefusal(error: unknown): boolean {
	const cause = (error as { cause?: unknown } | null)?.cause;
	return (
		error instanceof TypeError && cause instanceof Error && cause.message === "unexpected redirect"
	);
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Node's fetch (undici), where the clone costs CPU; browsers' fetch is
 * native, and their errors would not tell a redirect from a network failure.
 */
const SKIP_CLONE =
	typeof document === "undefined" &&
	typeof process !== "undefined" &&
	typeof process.versions?.node === "string";
