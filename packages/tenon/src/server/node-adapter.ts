import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import { passUpgradeThrough } from "../cluster/upgrade-proxy.js";
import type { Logger } from "../common/logger.js";
import { flushSpans } from "../observability/deferred-span.js";
import { errors } from "../protocol/errors.js";
import { DEFAULT_LIMITS } from "../protocol/limits.js";
import type { TrustedProxies } from "./client-address.js";
import { errorReply, errorResponse } from "./http-util.js";
import type { IncomingUpgrade } from "./incoming.js";
import { answerClientError, lingerAfterAnswer, takesNoRequests } from "./lingering-close.js";
import { nodeCall, nodeUpgrade, requestUrl, toHeaders, writeReply } from "./node-incoming.js";
import {
	afterReplies,
	handshakeRefusal,
	isWebSocketUpgrade,
	refuseBehindReplies,
	refuseExpectation,
	refusePipelined,
	rejectUpgrade,
	repliesPending,
	servePlain,
} from "./node-plain-requests.js";
import { closeIfBodyPending, writeResponse } from "./node-response.js";
import { NodeRequestBody } from "./request-body.js";
import type { ServerCore } from "./server-core.js";
import { limitSockets, type SocketLimits } from "./socket-admission.js";
import type { ServerWebSocket, WebSocketHandler } from "./websocket.js";
import { type SendBudget, wireSocket } from "./wired-socket.js";
import { WebSocketServers } from "./ws-servers.js";

/** Options of {@link createNodeHandlers}. */
export interface NodeHandlerOptions {
	/** A connection whose unsent data exceeds this is closed (1013). Default 16 MiB. */
	maxBufferedBytes?: number;
	/**
	 * What all sockets may hold unsent between them: each may hold this divided by the sockets
	 * open (at least 1 MiB, at most `maxBufferedBytes`). Default 1 GiB.
	 */
	maxUnsentBytesPerNode?: number;
	/** Interval of WebSocket pings; a peer that misses one is dropped. Default 30 s. */
	heartbeatMs?: number;
	/** Reverse proxies whose `X-Forwarded-For` names the client (see client-address.ts). */
	trustedProxies?: TrustedProxies | undefined;
	/** `limits.incomingMessageTimeoutMs`: how long a WebSocket message may stay unfinished. */
	incomingMessageTimeoutMs?: number;
	/** `limits.lingeringCloseMs`: how long an answer to an unread body waits for the client to stop sending. */
	lingeringCloseMs?: number;
}

/** Node request/upgrade listeners for an existing `http.Server` (e.g. with Express). */
export interface NodeHandlers {
	/** `(req, res)` listener for `http.createServer` or Express. */
	onRequest(req: IncomingMessage, res: ServerResponse): void;
	/** `upgrade` listener for WebSockets. */
	onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
	/** Marks the server as closing: responses from now on end their connection. */
	beginClose(): void;
	/** Some reply is still to be decided or written (streams being sent do not count). */
	repliesInFlight(): boolean;
	/** Some WebSocket was sent its close frame and has not finished the close handshake. */
	socketsClosing(): boolean;
	/** Closes every open WebSocket and stops the heartbeat. */
	close(): void;
}

/**
 * Builds a Web `Request` from a Node request (the body streams, it is not
 * buffered). `signal` aborts when the client goes away before the answer.
 */
function toRequest(
	req: IncomingMessage,
	body: NodeRequestBody | null,
	signal?: AbortSignal,
	url?: URL,
): Request {
	return new Request(url ?? requestUrl(req), {
		method: req.method ?? "GET",
		headers: toHeaders(req),
		body: body === null ? null : body.stream,
		...(signal ? { signal } : {}),
		// Required by Node's fetch for streaming request bodies.
		...(body === null ? {} : { duplex: "half" }),
	} as RequestInit);
}

/** Whether a request of `method` gets a body stream (GET and HEAD bodies are ignored). */
function takesBody(method: string | undefined): boolean {
	return method !== undefined && method !== "GET" && method !== "HEAD";
}

const NOT_A_WEB_REQUEST = errors.malformed("This server does not serve this method or target");

/** The `error` listener of an upgraded socket: `close` follows and cleans up. */
function destroySocket(this: Duplex): void {
	this.destroy();
}

/**
 * Node listeners that translate `node:http` and `ws` to the Web-standard core.
 * Nothing here knows about actors.
 */
export function createNodeHandlers(core: ServerCore, options: NodeHandlerOptions): NodeHandlers {
	let closing = false;
	const maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024;
	const lingerMs = options.lingeringCloseMs ?? DEFAULT_LIMITS.lingeringCloseMs;
	const selectedProtocol = new WeakMap<IncomingMessage, string | undefined>();
	const proxies = options.trustedProxies;
	/** The client's address for the per-address limits (behind trusted proxies, theirs). */
	const clientAddress = (req: IncomingMessage): string | undefined =>
		proxies === undefined
			? req.socket.remoteAddress
			: proxies.clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"]);
	const servers = new WebSocketServers({
		handleProtocols: (request) => selectedProtocol.get(request) ?? false,
		heartbeatMs: options.heartbeatMs ?? 30_000,
		incomingMessageTimeoutMs:
			options.incomingMessageTimeoutMs ?? DEFAULT_LIMITS.incomingMessageTimeoutMs,
	});

	const budget: SendBudget = {
		bytes: options.maxUnsentBytesPerNode ?? 1024 * 1024 * 1024,
		sockets: () => servers.size,
	};
	const wire = (ws: WebSocket, open: (socket: ServerWebSocket) => WebSocketHandler) =>
		wireSocket(ws, maxBuffered, budget, open);

	/** Requests being served, until their connection is done with them (see drainReplies). */
	const replies = new Set<ServerResponse>();
	const handlers: NodeHandlers = {
		onRequest(req, res) {
			// Parsed after an answer that closes the connection (lingering-close.ts): not served.
			if (takesNoRequests(req.socket)) {
				req.resume();
				return;
			}
			if (refusePipelined(req, res, maxBuffered, lingerMs)) return;
			replies.add(res);
			res.once("close", () => replies.delete(res));
			let url: URL | undefined;
			if (req.method === "POST") {
				try {
					url = requestUrl(req);
				} catch {
					// Not a URL: the Web path below answers 400.
				}
				// An action call is served without a Web Request or Response:
				// the same route `fetch` runs for it (action-route.ts).
				const served =
					url === undefined
						? undefined
						: core.serveAction(nodeCall(req, url), url, {
								remoteAddress: clientAddress(req),
							});
				if (served !== undefined) {
					served
						.then(
							(reply) => writeReply(req, res, reply, closing, lingerMs),
							() => {
								res.statusCode = 500;
								if (!req.complete) {
									res.setHeader("connection", "close");
									lingerAfterAnswer(req.socket, lingerMs);
								}
								res.end();
							},
						)
						.catch(() => res.destroy());
					return;
				}
			}
			let request: Request;
			// Aborted when the client disconnects first: waits on its behalf (a
			// queue send with `wait`) end, instead of keeping the actor awake.
			const gone = new AbortController();
			res.once("close", () => {
				if (!res.writableFinished) gone.abort();
			});
			const body = takesBody(req.method) ? new NodeRequestBody(req) : null;
			if (body !== null) res.once("finish", () => body.answered());
			try {
				request = toRequest(req, body, gone.signal, url);
			} catch {
				// TRACE, TRACK, `OPTIONS *`: parsed by Node, taken by no Web Request (a bare 400
				// before 2026-11-27, a probe). Its body, if any, is not read (writeReply closes).
				writeReply(req, res, errorReply(NOT_A_WEB_REQUEST, "json", false), closing, lingerMs);
				return;
			}
			// Do not let a client reuse this socket for a server that is going away.
			if (closing) res.setHeader("connection", "close");
			core
				.fetch(request, { remoteAddress: clientAddress(req) })
				.then(
					(response) => writeResponse(res, response, body, closing, lingerMs),
					() => {
						res.statusCode = 500;
						closeIfBodyPending(res, body, lingerMs);
						res.end();
					},
				)
				.catch(() => res.destroy());
		},
		onUpgrade(req, socket, head) {
			// A module-level listener: a closure here would keep this upgrade's
			// request, its head buffer (and the 8 KiB pool slab it is cut from)
			// alive for as long as the socket lives.
			socket.on("error", destroySocket);
			// Parsed after an answer that closes the connection (lingering-close.ts): not served.
			if (takesNoRequests(socket as Socket)) {
				socket.destroy();
				return;
			}
			// Behind requests still being answered: refused in turn, after their answers.
			if (repliesPending(socket)) {
				refuseBehindReplies(socket, lingerMs);
				return;
			}
			if (!isWebSocketUpgrade(req)) {
				servePlain(req, socket, handlers.onRequest, lingerMs);
				return;
			}
			const malformed = handshakeRefusal(req);
			if (malformed !== undefined) {
				rejectUpgrade(socket, malformed, lingerMs);
				return;
			}
			let request: IncomingUpgrade;
			try {
				request = nodeUpgrade(req, requestUrl(req));
			} catch {
				socket.destroy();
				return;
			}
			// A pass-through that cannot reach the owner decides again until the first
			// decision's deadline: each decision's own deadline let it retry for good.
			let retryUntil: number | undefined;
			const decide = () => {
				if (socket.destroyed) return;
				core.upgrade(request, { remoteAddress: clientAddress(req) }).then(
					(decision) => {
						try {
							if (decision.kind === "reject") {
								rejectUpgrade(socket, decision.response, lingerMs);
								return;
							}
							if (decision.kind === "proxy") {
								retryUntil ??= decision.retryUntil;
								passUpgradeThrough(
									req,
									socket,
									head,
									{ ...decision, retryUntil },
									decide,
									(refusal) =>
										rejectUpgrade(
											socket,
											refusal ? errorResponse(refusal, "json", false) : decision.unavailable(),
											lingerMs,
										),
								);
								return;
							}
							selectedProtocol.set(req, decision.protocol);
							// ws opens the socket in this call, or never (it went before its handshake).
							let opened = false;
							try {
								servers.for(decision.maxMessageBytes).handleUpgrade(req, socket, head, (ws) => {
									opened = true;
									wire(ws, decision.open);
								});
							} finally {
								if (!opened) decision.abandon();
							}
						} catch {
							// A throw here was an unhandled rejection: it ended the process.
							socket.destroy();
						}
					},
					() => socket.destroy(),
				);
			};
			decide();
		},
		beginClose() {
			closing = true;
		},
		repliesInFlight() {
			for (const res of replies) if (!replySettled(res)) return true;
			return false;
		},
		socketsClosing() {
			for (const ws of servers.clients()) if (ws.readyState === ws.CLOSING) return true;
			return false;
		},
		close() {
			closing = true;
			servers.close();
		},
	};
	return handlers;
}

/** How long a closing server lets replies in flight finish before it cuts their connections (ms). */
const CLOSE_DRAIN_MS = 1_000;

/**
 * Done with as a closing server sees it: written out, its connection gone,
 * or a stream being sent (headers out, no end yet: it would never finish).
 */
function replySettled(res: ServerResponse): boolean {
	return res.writableFinished || res.destroyed || (res.headersSent && !res.writableEnded);
}

/**
 * The last step of a close: replies decided while the actors stopped (a
 * sender answered after a stop hook completed its message, an action's reply
 * released by the final commit) are written before the connections are cut,
 * for up to {@link CLOSE_DRAIN_MS}; streams, connections without a request
 * and requests still arriving are cut at once. Before 2026-11-26 every
 * connection was cut at once, and such a reply was lost: its client saw the
 * connection fail and might send again what was done.
 */
async function drainReplies(
	server: Server,
	stopped: Promise<void>,
	inFlight: () => boolean,
	deadline: number,
): Promise<void> {
	await waitWhile(inFlight, deadline);
	server.closeAllConnections();
	await stopped;
}

/** Polls `busy` every 5 ms until it is false or `deadline` (a `Date.now()`) passes. */
async function waitWhile(busy: () => boolean, deadline: number): Promise<void> {
	while (busy() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A running server. Dispose it (or call `close`) to stop. */
export interface TenonServer extends AsyncDisposable {
	/** Base URL, e.g. `http://127.0.0.1:6420`. */
	readonly url: string;
	readonly port: number;
	readonly host: string;
	/**
	 * Drains (see `drainMs`), stops accepting, sleeps every actor (saving
	 * state), closes storage and sockets. Called again while it drains, it
	 * ends the drain at once; it returns the same promise each time.
	 */
	close(): Promise<void>;
}

/** Options of {@link listenNode}. */
export interface ListenOptions extends NodeHandlerOptions {
	port: number;
	host: string;
	/** Slow-client limits: time to send the headers, the whole request, and keep-alive idle time (ms). */
	timeouts: { headersMs: number; requestMs: number; keepAliveMs: number };
	/** Connections taken, in all and per client address (socket-admission.ts). */
	sockets: SocketLimits;
	/** Hears of connections refused at those limits. */
	logger?: Logger;
	/**
	 * Runs first in a close, while the server still accepts and serves
	 * (draining). `cut` aborts when `close()` is called again: the drain
	 * should end at once.
	 */
	drain?(cut: AbortSignal): Promise<void>;
	/** Runs after the server stopped accepting and before sockets are torn down. */
	beforeClose(): Promise<void>;
}

/** Starts a `node:http` server for the core on `host:port`. */
export async function listenNode(core: ServerCore, options: ListenOptions): Promise<TenonServer> {
	const handlers = createNodeHandlers(core, options);
	const server: Server = createServer(
		{
			// A client that dribbles its headers or body in (slowloris) is cut off.
			headersTimeout: options.timeouts.headersMs,
			requestTimeout: options.timeouts.requestMs,
			keepAliveTimeout: options.timeouts.keepAliveMs,
			// How often Node looks for requests past those timeouts (its default is 30 s).
			connectionsCheckingInterval: Math.max(
				50,
				Math.min(1_000, Math.floor(options.timeouts.headersMs / 2)),
			),
		},
		handlers.onRequest,
	);
	limitSockets(server, options.sockets, (address) => core.limitKey(address), options.logger);
	server.on("upgrade", handlers.onUpgrade);
	server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) =>
		refuseExpectation(req, res, options.lingeringCloseMs ?? DEFAULT_LIMITS.lingeringCloseMs),
	);
	server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) =>
		answerClientError(
			error,
			socket,
			options.lingeringCloseMs ?? DEFAULT_LIMITS.lingeringCloseMs,
			(then) => afterReplies(socket, then),
		),
	);
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(options.port, options.host, () => {
			server.off("error", reject);
			resolve();
		});
	});
	const address = server.address() as AddressInfo;
	// A server on all interfaces is reached through localhost.
	const unspecified = address.address === "0.0.0.0" || address.address === "::";
	const hostForUrl = unspecified
		? "localhost"
		: address.family === "IPv6"
			? `[${address.address}]`
			: address.address;
	let closing: Promise<void> | undefined;
	const drainCut = new AbortController();
	const close = () => {
		// Called again (a second SIGTERM): a drain still running ends now.
		if (closing !== undefined) drainCut.abort();
		closing ??= (async () => {
			await options.drain?.(drainCut.signal);
			handlers.beginClose();
			// server.close() also ends idle keep-alive sockets (Node >= 19); the
			// rest end after their response (keep-alive is off while closing).
			const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
			try {
				await options.beforeClose();
				const deadline = Date.now() + CLOSE_DRAIN_MS;
				// The actors sent their sockets 1001: each client reads it and answers before
				// the rest are cut, so it knows the server went (it was cut at once, and a call
				// made meanwhile went out on a dead socket: a walkthrough, 2026-11-28).
				await waitWhile(() => handlers.socketsClosing(), deadline);
				handlers.close();
				await drainReplies(server, stopped, () => handlers.repliesInFlight(), deadline);
			} finally {
				// Spans of the last actions, held for their batch, reach the SDK before it shuts down.
				flushSpans();
			}
		})();
		return closing;
	};
	return {
		url: `http://${hostForUrl}:${address.port}`,
		port: address.port,
		host: address.address,
		close,
		[Symbol.asyncDispose]: close,
	};
}
