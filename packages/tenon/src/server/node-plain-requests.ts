// Guards of the Node adapter's plain HTTP requests: pipelining, requests that
// offer an upgrade other than WebSocket, upgrades refused with a plain answer,
// and expectations the server does not meet.
import { type IncomingMessage, ServerResponse, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { errors } from "../protocol/errors.js";
import { errorReply, errorResponse } from "./http-util.js";
import { closingAnswer, endAndLinger } from "./lingering-close.js";
import { writeReply } from "./node-incoming.js";

/**
 * Requests one socket may have in flight at once (HTTP/1.1 pipelining;
 * browsers and Node's fetch send one at a time). Node parses a pipelined
 * batch and starts every handler before writing any reply: an attacker
 * probe's one write of 300 requests for a 2 MiB reply held 630 MB for a
 * socket that never read, and blocked the loop for 1.5 s (2026-11-25).
 */
const MAX_PIPELINED = 8;

/** The answer to a request that cannot be served, ending its connection. */
const BAD_REQUEST = closingAnswer(
	"400 Bad Request",
	"invalid",
	"This request cannot be served on this connection",
);

/** Requests in flight per socket (see {@link MAX_PIPELINED}). */
const inFlightOn = new WeakMap<object, number>();
/** The latest request parsed on a socket. */
const lastRequestOn = new WeakMap<object, IncomingMessage>();
/** What runs once a socket has at most `left` requests in flight (see {@link afterReplies}). */
const whenIdle = new WeakMap<object, { then: () => void; left: number }>();

/**
 * Runs `then` once every request in flight on `socket` is answered (its response closed) and
 * returns true, or returns false at once when none is. When the bad bytes are the body of the
 * latest request, which can never end, `then` answers that one: it runs once the requests
 * before it are answered (at once when there are none).
 */
export function afterReplies(socket: object, then: () => void): boolean {
	const inFlight = inFlightOn.get(socket) ?? 0;
	const left = lastRequestOn.get(socket)?.complete === false ? 1 : 0;
	if (inFlight <= left) return false;
	whenIdle.set(socket, { then, left });
	return true;
}

/**
 * Refuses an upgrade parsed behind requests still being answered: `400` once their answers are
 * written, then the connection closes (lingering). Served at once, its answer went out ahead of
 * theirs (an `h2c` one made Node throw); dropped at once, their answers were lost (a probe,
 * 2026-11-27).
 */
export function refuseBehindReplies(socket: Duplex, lingerMs: number): void {
	const refuse = () => {
		if (!socket.writable) return;
		endAndLinger(socket, BAD_REQUEST, lingerMs);
	};
	if (!afterReplies(socket, refuse)) refuse();
}

/**
 * True while `socket` has requests in flight: an upgrade parsed behind them would be answered
 * ahead of their replies (or, served as a plain request, made Node throw: a socket already has
 * a response; a review, 2026-11-27).
 */
export function repliesPending(socket: object): boolean {
	return (
		(inFlightOn.get(socket) ?? 0) > 0 || (socket as { _httpMessage?: unknown })._httpMessage != null
	);
}

/**
 * Counts `req` on its socket until its response closes; past
 * {@link MAX_PIPELINED}, answers it with `429 limit/too_many_in_flight` and
 * closes the connection after it (true: answered).
 */
export function refusePipelined(
	req: IncomingMessage,
	res: ServerResponse,
	maxUnsent: number,
	lingerMs: number,
): boolean {
	const socket = req.socket;
	// Replies the client has not read: a socket that keeps asking and never reads is ended
	// (its replies were all kept for it), as a WebSocket that does not read is (1013).
	if (socket.writableLength > maxUnsent) {
		socket.destroy();
		return true;
	}
	const inFlight = (inFlightOn.get(socket) ?? 0) + 1;
	inFlightOn.set(socket, inFlight);
	lastRequestOn.set(socket, req);
	res.once("close", () => {
		const left = (inFlightOn.get(socket) ?? 1) - 1;
		inFlightOn.set(socket, left);
		const waiting = whenIdle.get(socket);
		if (waiting === undefined || left > waiting.left) return;
		whenIdle.delete(socket);
		waiting.then();
	});
	if (inFlight <= MAX_PIPELINED) return false;
	writeReply(
		req,
		res,
		errorReply(errors.tooManyInFlight(MAX_PIPELINED), "json", false),
		true,
		lingerMs,
	);
	return true;
}

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
	return (req.headers.upgrade ?? "").toLowerCase() === "websocket";
}

const refusal = (error: unknown) => errorResponse(error, "json", false);

/** A `Sec-WebSocket-Key`: 16 bytes in base64 (RFC 6455 section 4.1). */
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/**
 * Why a WebSocket upgrade's handshake cannot succeed (its method, key or
 * version), as the answer to send, or undefined when it can. Checked before
 * the upgrade is decided: `ws` refused such a handshake only after the
 * decision, which on a cluster node finds the actor's owner, so a
 * `getOrCreate` upgrade created its actor for good (no hook ever saw it) or
 * was passed through; and the client got `ws`'s text/html 400 instead of a
 * `group/code` body (2026-11-27). A bad version is answered with the
 * versions this server speaks (RFC 6455 section 4.4).
 */
export function handshakeRefusal(req: IncomingMessage): Response | undefined {
	if (req.method !== "GET")
		return refusal(errors.methodNotAllowed(req.method ?? "", "a WebSocket upgrade"));
	const key = req.headers["sec-websocket-key"];
	if (key === undefined || !WEBSOCKET_KEY.test(key))
		return refusal(errors.invalid("missing or invalid Sec-WebSocket-Key header"));
	const version = req.headers["sec-websocket-version"];
	if (version !== "13" && version !== "8") {
		const refused = refusal(
			errors.invalid("missing or unsupported Sec-WebSocket-Version header (13 or 8)"),
		);
		refused.headers.set("sec-websocket-version", "13, 8");
		return refused;
	}
	return undefined;
}

/**
 * A request offering another upgrade (h2c, as `curl --http2` and some health
 * checkers send) is served as the plain request it also is (HTTP lets a
 * server ignore `Upgrade`): Node hands every request with the header to the
 * upgrade listener, and each got a 404 before (an attacker probe,
 * 2026-11-25). Node no longer parses the socket, so only a request without
 * a body is served this way, and its connection closes after the reply.
 */
export function servePlain(
	req: IncomingMessage,
	socket: Duplex,
	onRequest: (req: IncomingMessage, res: ServerResponse) => void,
	lingerMs: number,
): void {
	const hasBody =
		req.headers["transfer-encoding"] !== undefined ||
		Number(req.headers["content-length"] ?? 0) > 0;
	if (hasBody) {
		endAndLinger(socket, BAD_REQUEST, lingerMs);
		return;
	}
	const res = new ServerResponse(req);
	res.shouldKeepAlive = false;
	res.assignSocket(socket as Socket);
	res.once("finish", () => {
		res.detachSocket(socket as Socket);
		endAndLinger(socket, undefined, lingerMs);
		// Node's server emits it for the responses it made (resOnFinish): this one was kept
		// in the adapter's set of replies, and counted in flight on its socket, for good.
		process.nextTick(() => res.emit("close"));
	});
	onRequest(req, res);
}

/** Headers {@link rejectUpgrade} writes itself. */
const WRITTEN_HERE = new Set(["content-type", "content-length", "connection", "transfer-encoding"]);

/** Answers an upgrade with `response` as plain HTTP, then closes the socket (lingering). */
export function rejectUpgrade(socket: Duplex, response: Response, lingerMs: number): void {
	void response.text().then(
		(body) => {
			const status = response.status;
			const lines = [
				`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}`,
				`content-type: ${response.headers.get("content-type") ?? "application/json"}`,
				`content-length: ${Buffer.byteLength(body)}`,
				"connection: close",
			];
			// Its other headers go too (`retry-after` of a limit, `sec-websocket-version`).
			response.headers.forEach((value, name) => {
				if (!WRITTEN_HERE.has(name)) lines.push(`${name}: ${value}`);
			});
			const head = `${lines.join("\r\n")}\r\n\r\n`;
			endAndLinger(socket, head + body, lingerMs);
		},
		() => socket.destroy(),
	);
}

/**
 * Answers a request whose `Expect` is not 100-continue (`checkExpectation`): Node's own
 * answer is a bare 417, without the group/code body every other refusal has. Its body,
 * if sent, is not read (the connection closes, lingering).
 */
export function refuseExpectation(
	req: IncomingMessage,
	res: ServerResponse,
	lingerMs: number,
): void {
	writeReply(req, res, errorReply(errors.expectationFailed(), "json", false), false, lingerMs);
}
