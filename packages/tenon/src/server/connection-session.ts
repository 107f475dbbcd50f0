import { type Encoding, encodedLength } from "../protocol/encoding.js";
import { ActorError, errors, toErrorPayload } from "../protocol/errors.js";
import { decodeToServer, encodeToClient } from "../protocol/messages.js";
import {
	type ActorGateway,
	type Caller,
	CLOSE,
	type ConnTransport,
	closeCodeOf,
	closeReason,
	type OpenConnection,
	type ResumeRequest,
} from "../runtime/actor-gateway.js";
import type { GatewayRequest } from "./gateway.js";
import { closeForFault, type ServerWebSocket, type WebSocketHandler } from "./websocket.js";

/** Frames a client may send before the connection is established. */
const MAX_EARLY_FRAMES = 256;
/**
 * Bytes of them held (or one largest message, when `maxIncomingMessageBytes` is more):
 * 256 frames of 64 KiB let one socket behind slow connect hooks hold 16 MiB.
 */
const MAX_EARLY_BYTES = 1024 * 1024;

/**
 * Frames refused in a row for the rate (each answered with `limit/rate_limited`)
 * before the server stops reading the socket until the rate allows a frame
 * again: a refused frame is still decoded for its action id (so its call
 * fails instead of hanging), and an attacker probe's flood of refused 50 KB
 * frames stalled the loop for 508 ms. Not closed: replies to calls already
 * accepted still go out.
 */
const MAX_REFUSED_IN_ROW = 8;

/** What a session spends from its socket's limits (a SocketSlot, see socket-slots.ts). */
export interface SessionRates {
	/** Takes one message from the rate limits at `now` (ms): 0, or the ms to wait before retrying. */
	throttle(now: number): number;
	/** Charges `ms` spent decoding a frame, ending at `now`: 0, or the ms to stop reading the socket for. */
	chargeDecode(ms: number, now: number): number;
	/** Counts a connection waiting for its client against the socket's address, until released. */
	holdAddress(): () => void;
	/** Counts an action call's `bytes` until it returns; throws `limit/overloaded` past the budget. */
	holdCall(bytes: number): void;
	/** The call {@link holdCall} counted returned. */
	releaseCall(bytes: number): void;
}

const UNLIMITED: SessionRates = {
	throttle: () => 0,
	chargeDecode: () => 0,
	holdAddress: () => () => {},
	holdCall: () => {},
	releaseCall: () => {},
};

/**
 * One `/connect` WebSocket: resolves (and wakes) the actor, runs the connect
 * hooks, then turns frames into actions and subscriptions. Frames that arrive
 * while connecting are buffered and handled in order once connected.
 */
export class ConnectionSession implements WebSocketHandler {
	readonly #actors: ActorGateway;
	readonly #socket: ServerWebSocket;
	readonly #encoding: Encoding;
	#state: "connecting" | "open" | "closed" = "connecting";
	/** Frames that arrived while connecting, and those behind them until all are handled. */
	#early: (string | Uint8Array)[] = [];
	/** Bytes of the frames that arrived while connecting. */
	#earlyBytes = 0;
	/** Until when (performance.now()) the socket's decode time is spent. */
	#pausedUntil = 0;
	#drainTimer: ReturnType<typeof setTimeout> | undefined;
	#refusedInRow = 0;
	#conn: OpenConnection | undefined;
	/** What the actor's connection writes to, once connecting (it learns of the close from here). */
	#transport: SessionTransport | undefined;
	readonly #rates: SessionRates;

	constructor(
		actors: ActorGateway,
		socket: ServerWebSocket,
		encoding: Encoding,
		rates: SessionRates = UNLIMITED,
	) {
		this.#actors = actors;
		this.#socket = socket;
		this.#encoding = encoding;
		this.#rates = rates;
	}

	/**
	 * Starts connecting to the actor named by `gateway` for `caller`.
	 * `createdHere`: the upgrade already created the actor for this caller (cluster mode).
	 */
	start(
		gateway: GatewayRequest,
		caller: Caller,
		createdHere = false,
		resume: ResumeRequest | undefined = undefined,
	): void {
		void this.#connect(gateway, caller, createdHere, resume);
	}

	/** Rejects the connection at once with an error frame and a close code. */
	reject(error: unknown): void {
		const payload = toErrorPayload(error, this.#actors.exposeInternalErrors);
		if (!(error instanceof ActorError))
			this.#actors.logger.child({ module: "server" }).error("connection failed", { error });
		this.#socket.send(
			encodeToClient(this.#encoding, { tag: "Error", error: payload, actionId: null }),
		);
		this.#socket.close(
			closeCodeOf(error, payload),
			closeReason(`${payload.group}.${payload.code}`),
		);
		this.#state = "closed";
		this.#transport?.markGone();
	}

	async #connect(
		gateway: GatewayRequest,
		caller: Caller,
		createdHere: boolean,
		resume: ResumeRequest | undefined,
	): Promise<void> {
		// The adapter reports a close back through onClose, which unregisters the connection.
		const transport = new SessionTransport(this.#socket, this.#encoding, this.#rates);
		this.#transport = transport;
		let conn: OpenConnection | undefined;
		try {
			if (this.#isClosed()) return;
			conn = await this.#actors.connect(
				{ namespace: gateway.namespace, target: gateway.target },
				caller,
				transport,
				createdHere,
				resume,
			);
		} catch (error) {
			if (!this.#isClosed()) this.reject(error);
			return;
		}
		if (conn === undefined) {
			// Refused: the error frame and the close went out through the transport.
			this.#state = "closed";
			return;
		}
		this.#conn = conn;
		if (this.#isClosed()) {
			// The client went away while the connect hooks ran.
			conn.closed();
			return;
		}
		this.#state = "open";
		this.#drainEarly();
	}

	/** A method, so TypeScript does not narrow the state across awaits. */
	#isClosed(): boolean {
		return this.#state === "closed";
	}

	onMessage(data: string | Uint8Array): void {
		const limit = this.#actors.limits.maxIncomingMessageBytes;
		const size = encodedLength(data);
		if (size > limit) {
			closeForFault(this.#socket, CLOSE.tooBig, "message.incoming_too_long");
			this.#transport?.markGone();
			return;
		}
		// One clock read for the rate and the start of the decode.
		const now = performance.now();
		const wait = this.#rates.throttle(now);
		if (wait > 0) {
			if (++this.#refusedInRow >= MAX_REFUSED_IN_ROW) this.#socket.pause?.(wait);
			this.#refuse(data, errors.rateLimited("connection", wait));
			return;
		}
		this.#refusedInRow = 0;
		switch (this.#state) {
			case "connecting":
				this.#earlyBytes += size;
				if (
					this.#early.length >= MAX_EARLY_FRAMES ||
					this.#earlyBytes > Math.max(MAX_EARLY_BYTES, limit)
				) {
					this.reject(
						errors.invalid(
							`more than ${MAX_EARLY_FRAMES} messages or ${MAX_EARLY_BYTES} bytes before the connection opened`,
						),
					);
					return;
				}
				this.#early.push(data);
				return;
			case "open":
				// Frames from before the open still waiting for decode time go first.
				if (this.#early.length > 0) this.#early.push(data);
				else this.#handle(data, now, size);
				return;
			case "closed":
				return;
		}
	}

	/**
	 * Answers a message it will not handle with an error (tied to its action
	 * id when readable, so the caller's call fails instead of hanging).
	 */
	#refuse(data: string | Uint8Array, error: ActorError): void {
		if (this.#state === "closed") return;
		const decoded = this.#decode(data);
		const actionId = decoded.ok
			? decoded.message.tag === "ActionRequest"
				? decoded.message.id
				: null
			: decoded.actionId;
		const payload = toErrorPayload(error, this.#actors.exposeInternalErrors);
		this.#socket.send(encodeToClient(this.#encoding, { tag: "Error", error: payload, actionId }));
	}

	#handle(
		data: string | Uint8Array,
		started = performance.now(),
		size = encodedLength(data),
	): void {
		const conn = this.#conn as OpenConnection;
		const decoded = decodeToServer(this.#encoding, data, this.#actors.limits.maxNameBytes);
		if (!decoded.ok) {
			this.#charge(started);
			conn.refuse(decoded.error, decoded.actionId);
		} else if (decoded.message.tag === "SubscriptionRequest") {
			// Subscribing to the shared state or presence builds a snapshot on the loop (a
			// projection for this connection, everyone's presence): charged with the frame, or
			// unsubscribe/subscribe pairs took about 1 ms each of a 200 KB state, 500 a second.
			conn.receive(decoded.message);
			this.#charge(started);
		} else {
			this.#charge(started);
			conn.receive(decoded.message, size);
		}
	}

	/** Decodes and checks a frame (see {@link #charge}). */
	#decode(data: string | Uint8Array): ReturnType<typeof decodeToServer> {
		const started = performance.now();
		const decoded = decodeToServer(this.#encoding, data, this.#actors.limits.maxNameBytes);
		this.#charge(started);
		return decoded;
	}

	/**
	 * Charges the loop time since `started` (decoding and checking a frame,
	 * and a subscription's snapshot) to the socket's decode time: past it, the
	 * socket is not read until the time is regained. The message rate alone
	 * let one connection's 1,000 admitted 60 KB frames of 60,000 empty arrays
	 * a second take the whole loop (an attacker probe).
	 */
	#charge(started: number): void {
		const ended = performance.now();
		const wait = this.#rates.chargeDecode(ended - started, ended);
		if (wait > 0) {
			this.#pausedUntil = ended + wait;
			this.#socket.pause?.(wait);
		}
	}

	/**
	 * Handles the frames that arrived while connecting, in order, as the
	 * decode time allows: up to 256 of them were handled at once, past any
	 * pause (128 subscribe pairs sent to a sleeping actor built 128 snapshots
	 * in one turn).
	 */
	#drainEarly(): void {
		this.#drainTimer = undefined;
		while (this.#early.length > 0 && this.#state === "open") {
			const wait = this.#pausedUntil - performance.now();
			if (wait > 0) {
				this.#drainTimer = setTimeout(() => this.#drainEarly(), Math.ceil(wait));
				this.#drainTimer.unref?.();
				return;
			}
			this.#handle(this.#early.shift() as string | Uint8Array);
		}
	}

	onClose(code?: number): void {
		this.#state = "closed";
		this.#transport?.markGone();
		this.#early = [];
		if (this.#drainTimer !== undefined) clearTimeout(this.#drainTimer);
		// Idempotent: a connection the actor already closed is not unregistered twice. A
		// socket lost without a close frame (1006) keeps its connection for its client.
		this.#conn?.closed(code);
	}
}

/** What the actor's connection writes to: this session's socket (a class: no closures per socket). */
class SessionTransport implements ConnTransport {
	readonly #socket: ServerWebSocket;
	readonly encoding: Encoding;
	#closed = false;

	/**
	 * True once the socket closed, or began to close (a close frame either way: `ws` reports
	 * the close only when TCP ends, up to 30 s later), or the session closed it (a review).
	 */
	get gone(): boolean {
		return this.#closed || this.#socket.open === false;
	}

	/** The socket closed, or the session closes it. */
	markGone(): void {
		this.#closed = true;
	}

	readonly #rates: SessionRates;

	constructor(socket: ServerWebSocket, encoding: Encoding, rates: SessionRates) {
		this.#socket = socket;
		this.encoding = encoding;
		this.#rates = rates;
	}

	/** The socket was lost and its connection waits for its client: it still counts (keepLost). */
	holdAddress(): () => void {
		return this.#rates.holdAddress();
	}

	/** An action call of `bytes` waits or runs (see `SocketSlot.holdCall`). */
	holdCall(bytes: number): void {
		this.#rates.holdCall(bytes);
	}

	releaseCall(bytes: number): void {
		this.#rates.releaseCall(bytes);
	}

	/** Frames the runtime encoded (a broadcast sends the same one to every connection). */
	send(frame: string | Uint8Array): void {
		this.#socket.sendShared(frame);
	}

	cork(): void {
		this.#socket.cork?.();
	}

	uncork(): void {
		this.#socket.uncork?.();
	}

	close(code: number, reason: string): void {
		this.#closed = true;
		this.#socket.close(code, reason);
	}
}
