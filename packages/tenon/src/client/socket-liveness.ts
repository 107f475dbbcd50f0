// The timers that tell a connection its socket is dead though it never
// closed: one for the opening (handshake and `Init`), one for the silence of
// an open socket (the heartbeat).
import { ActorError } from "../protocol/errors.js";
import { WS_OPEN } from "./socket-platform.js";

/** What the liveness timers need of their connection. */
export interface LivenessHost {
	/** The socket the connection reads now: a timer of any other one is stale. */
	currentSocket(): WebSocket | undefined;
	/** Gives up on `socket` (dropped where the WebSocket can), failing its calls with `error`. */
	abandon(socket: WebSocket, error: ActorError): void;
}

/**
 * Watches one connection's socket at a time: that the server opens it in
 * time, and, once open, that it still hears from the server. Either failing
 * makes the host abandon the socket, and the connection reconnects.
 */
export class SocketLiveness {
	readonly #host: LivenessHost;
	/** Fails a socket the server has not opened (handshake and `Init`) in time. */
	#openTimer: ReturnType<typeof setTimeout> | undefined;
	/** Checks, on Node's `ws`, that an open socket still hears from the server (see {@link SocketLiveness.opened}). */
	#heartbeatTimer: ReturnType<typeof setInterval> | undefined;
	/** Something came from the server since the last heartbeat check. */
	#heard = false;
	/** A ping went out at the last check, unanswered so far. */
	#pinged = false;

	constructor(host: LivenessHost) {
		this.#host = host;
	}

	/**
	 * Starts the open timeout of a new socket. A server that takes the TCP
	 * connection, or even the upgrade, and then says nothing would leave the
	 * connection "connecting" forever, its queued calls with it (no WebSocket
	 * has a handshake timeout by default). `timeoutMs` 0 or less waits forever.
	 */
	opening(socket: WebSocket, timeoutMs: number): void {
		if (timeoutMs <= 0) return;
		this.#openTimer = setTimeout(() => {
			this.#openTimer = undefined;
			this.#host.abandon(
				socket,
				new ActorError(
					"client",
					"connect_timeout",
					`The server did not open the connection within ${timeoutMs} ms`,
				),
			);
		}, timeoutMs);
	}

	/**
	 * The server opened `socket` (its `Init` arrived): the open timeout ends
	 * and the heartbeat starts. On Node's `ws`, an open socket the server went
	 * silent on (a peer gone without closing: a crashed host, a network that
	 * dropped it) would keep the connection "connected", and its calls
	 * waiting, forever. Every `heartbeatMs` that heard nothing from the server
	 * sends a ping; the next one that still heard nothing drops the socket.
	 * Browsers have no ping to send (their sockets are theirs to watch).
	 */
	opened(socket: WebSocket, heartbeatMs: number): void {
		this.#clearOpenTimer();
		this.#stopHeartbeat();
		const pingable = socket as unknown as { ping?(): void; on?: unknown };
		if (
			heartbeatMs <= 0 ||
			typeof pingable.ping !== "function" ||
			typeof pingable.on !== "function"
		)
			return;
		this.#heard = false;
		this.#pinged = false;
		this.#heartbeatTimer = setInterval(() => {
			if (socket !== this.#host.currentSocket()) return;
			if (this.#heard) {
				this.#heard = false;
				this.#pinged = false;
			} else if (!this.#pinged) {
				this.#pinged = true;
				if (socket.readyState === WS_OPEN) pingable.ping?.();
			} else {
				this.#host.abandon(
					socket,
					new ActorError(
						"client",
						"connection_lost",
						`The server did not answer a ping within ${heartbeatMs} ms; the outcome of calls in flight is unknown`,
					),
				);
			}
		}, heartbeatMs);
		// An open socket keeps the process alive already; the check itself must not.
		(this.#heartbeatTimer as { unref?(): void }).unref?.();
	}

	/** Something (a frame, a ping or a pong) came from the server on the current socket. */
	heard(): void {
		this.#heard = true;
	}

	/** The socket is gone, or the connection disposed: no timer is left running. */
	stop(): void {
		this.#clearOpenTimer();
		this.#stopHeartbeat();
	}

	#clearOpenTimer(): void {
		if (this.#openTimer === undefined) return;
		clearTimeout(this.#openTimer);
		this.#openTimer = undefined;
	}

	#stopHeartbeat(): void {
		if (this.#heartbeatTimer === undefined) return;
		clearInterval(this.#heartbeatTimer);
		this.#heartbeatTimer = undefined;
	}
}
