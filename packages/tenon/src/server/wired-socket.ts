// One accepted `ws` WebSocket as the core sees it (a ServerWebSocket), and
// the module-level listeners that find it on the socket: an idle socket (a
// hibernated connection) costs no closures. Pausing holds the frames `ws`
// already read (see WiredSocket.pause).
import { WebSocket } from "ws";
import { corkableOf } from "../common/ws-cork.js";
import type { ServerWebSocket, WebSocketHandler } from "./websocket.js";
import { canWriteNow, preframedSender, sharedFrame } from "./ws-frames.js";

const WIRED = Symbol("wired");

/** Writes a socket may have queued (two per message, header and payload, on `ws`'s path). */
export const MAX_QUEUED_CHUNKS = 4_096;
/** What a socket may hold unsent however many share the node's budget. */
const MIN_SOCKET_SHARE = 1024 * 1024;
/** How long a socket closed as unread (backpressure, a stalled message) has to answer before it is ended. */
const UNREAD_CLOSE_MS = 1_000;

/** The bytes a server's sockets may hold unsent between them, shared out as they open. */
export interface SendBudget {
	readonly bytes: number;
	/** Sockets open now. */
	sockets(): number;
}

const UNBOUNDED: SendBudget = { bytes: Number.POSITIVE_INFINITY, sockets: () => 1 };

/** The parts of `ws`'s net.Socket read to count what it has queued (Node's own state). */
interface QueuedSocket {
	readonly writableCorked: number;
	readonly _writableState?: { readonly bufferedRequestCount?: number };
}

/** The parts of `ws`'s Receiver (8.x) that say a message is being received. */
interface ReceiverState {
	/** Bytes read and not yet parsed: a part of a frame. */
	readonly _bufferedBytes?: unknown;
	/** The opcode of a fragmented message under way (0: none). */
	readonly _fragmented?: unknown;
}
type WithWired = WebSocket & { [WIRED]?: WiredSocket };

export function wiredOf(ws: WebSocket): WiredSocket | undefined {
	return (ws as WithWired)[WIRED];
}

/**
 * One accepted WebSocket as the core sees it. A class, and module-level
 * listeners that find it on the socket: an idle socket (a hibernated
 * connection) costs no closures.
 */
export class WiredSocket implements ServerWebSocket {
	readonly #ws: WebSocket;
	readonly #maxBuffered: number;
	readonly #budget: SendBudget;
	/** Where pre-framed messages are written (undefined: only through `ws.send`). */
	readonly #sender: ReturnType<typeof preframedSender>;
	/** Answered the last heartbeat (or sent something since). */
	alive = true;
	handler!: WebSocketHandler;
	#paused = false;
	/** Frames read before a pause, handed over when it ends (at most one read's). */
	#held: (string | Uint8Array)[] | undefined;
	/** Messages received so far (a sweep tells a message that stalls from a stream of them). */
	received = 0;
	/** When a sweep first saw the message now under way unfinished (-1: none). */
	#unfinishedSince = -1;
	/** {@link received} then. */
	#receivedThen = 0;

	constructor(ws: WebSocket, maxBuffered: number, budget: SendBudget = UNBOUNDED) {
		this.#ws = ws;
		this.#maxBuffered = maxBuffered;
		this.#budget = budget;
		this.#sender = preframedSender(ws);
	}

	/** False once either side began the close (a close frame sent or received). */
	get open(): boolean {
		return this.#ws.readyState === WebSocket.OPEN;
	}

	send(data: string | Uint8Array): void {
		if (this.#writable()) this.#ws.send(data);
	}

	sendShared(frame: string | Uint8Array): void {
		if (!this.#writable()) return;
		const sender = this.#sender;
		// The frame was made once for every socket it goes to (see ws-frames.ts);
		// anything queued in `ws` goes first, through its own path.
		if (sender !== undefined && canWriteNow(sender)) sender.sendFrame(sharedFrame(frame));
		else this.#ws.send(frame);
	}

	cork(): void {
		corkableOf(this.#ws)?.cork();
	}

	uncork(): void {
		corkableOf(this.#ws)?.uncork();
	}

	/** Open, and not so far behind that the client must be dropped (1013). */
	#writable(): boolean {
		const ws = this.#ws;
		if (ws.readyState !== WebSocket.OPEN) return false;
		const buffered = ws.bufferedAmount;
		if (buffered === 0 || !this.#tooFarBehind(buffered)) return true;
		// Its close frame waits behind what it does not read: ended a second later, not after
		// `ws`'s 30 s, so what it held is freed (an attacker probe, 2026-11-29: 256 such sockets
		// of one address held 4.3 GB for 30 s at a time).
		this.closeUnread(1013, "connection.backpressure");
		return false;
	}

	/**
	 * Closes a socket whose client does not read, or stalls in a message (its close frame
	 * would never be parsed after it), and ends it a second later rather than after `ws`'s 30 s.
	 */
	closeUnread(code: number, reason: string): void {
		const ws = this.#ws;
		this.close(code, reason);
		setTimeout(() => ws.terminate(), UNREAD_CLOSE_MS).unref?.();
	}

	/**
	 * How long, as the sweeps that call this saw it, the client has left a message unfinished
	 * (a part of a frame or of a fragmented message, held in memory until the rest comes): 0
	 * when none is under way, or one began since the last call. Read from `ws`'s receiver
	 * (8.x fields; a version without them reads 0, test/server/unfinished-messages.test.ts).
	 */
	unfinishedFor(now: number): number {
		const receiver = (this.#ws as unknown as { _receiver?: ReceiverState })._receiver;
		const underWay =
			!this.#paused &&
			receiver !== undefined &&
			((receiver._bufferedBytes as number) > 0 || (receiver._fragmented as number) > 0);
		if (!underWay) {
			this.#unfinishedSince = -1;
			return 0;
		}
		if (this.#unfinishedSince < 0 || this.#receivedThen !== this.received) {
			this.#unfinishedSince = now;
			this.#receivedThen = this.received;
			return 0;
		}
		return now - this.#unfinishedSince;
	}

	/**
	 * What a socket that does not read may hold: `maxBuffered` bytes (16 MiB), less when many
	 * sockets are open (the node's budget shared out, at least 1 MiB each), and at most
	 * {@link MAX_QUEUED_CHUNKS} writes, whatever their size: each costs heap beside its bytes,
	 * and 256 sockets of one address that never read took 12-byte events until the heap ran out
	 * at 4 GB, each well under its 16 MiB (an attacker probe, 2026-11-29).
	 */
	#tooFarBehind(buffered: number): boolean {
		const budget = this.#budget;
		const share = Math.max(MIN_SOCKET_SHARE, budget.bytes / Math.max(1, budget.sockets()));
		if (buffered > Math.min(this.#maxBuffered, share)) return true;
		// Writes corked for one turn are released at its end: not a reader's lag.
		const socket = (this.#ws as unknown as { _socket?: QueuedSocket })._socket;
		return (
			socket !== undefined &&
			!socket.writableCorked &&
			(socket._writableState?.bufferedRequestCount ?? 0) > MAX_QUEUED_CHUNKS
		);
	}

	/**
	 * Reads nothing more for `ms`, and holds the frames `ws` already read:
	 * it hands over a whole read's frames at once (a read of 64 KiB holds a
	 * thousand small frames), so pausing the socket alone let a burst of
	 * cheap frames that each cost a snapshot through whole.
	 */
	pause(ms: number): void {
		if (this.#paused) return;
		this.#paused = true;
		this.#ws.pause();
		const timer = setTimeout(() => this.#resume(), ms);
		timer.unref?.();
	}

	/** A frame from the client: to the handler, or held while paused. */
	receive(data: string | Uint8Array): void {
		if (!this.#paused) this.handler.onMessage(data);
		else if (this.#held === undefined) this.#held = [data];
		else this.#held.push(data);
	}

	/** The pause ended: the held frames go to the handler in order, until one pauses it again. */
	#resume(): void {
		this.#paused = false;
		const held = this.#held;
		this.#held = undefined;
		if (held !== undefined)
			for (let i = 0; i < held.length; i++) {
				// Closing: what the client sent meanwhile is not handled (as in onWsMessage).
				if (this.#ws.readyState !== WebSocket.OPEN) break;
				if (this.#paused) {
					this.#held = held.slice(i);
					return;
				}
				this.handler.onMessage(held[i] as string | Uint8Array);
			}
		this.#ws.resume();
	}

	close(code: number, reason: string): void {
		const ws = this.#ws;
		// The frames held for a pause are not handled after a close, and the socket is read
		// again: the client's close frame must be read, or the close waits out ws's 30 s.
		this.#held = undefined;
		if (this.#paused) {
			this.#paused = false;
			ws.resume();
		}
		if (ws.readyState !== WebSocket.OPEN && ws.readyState !== WebSocket.CONNECTING) return;
		try {
			ws.close(code, reason);
		} catch {
			// A code or reason no close frame may carry (callers cut reasons to fit): the
			// socket still closes, as a server error, instead of staying open behind a throw.
			ws.close(1011);
		}
	}
}

function onWsMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
	// Closing (the server closed it, e.g. for backpressure): what the client sent
	// meanwhile is not handled. An attacker probe's sockets that never read got
	// 1,967 replies of 1 MB built after their close, and stalled the loop 15.7 s.
	if (this.readyState !== WebSocket.OPEN) return;
	const wired = wiredOf(this) as WiredSocket;
	wired.alive = true;
	wired.received++;
	wired.receive(
		isBinary
			? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
			: data.toString("utf8"),
	);
}

function onWsClose(this: WebSocket, code: number, reason: Buffer): void {
	wiredOf(this)?.handler.onClose(code, reason.toString("utf8"));
}

function onWsPong(this: WebSocket): void {
	const wired = wiredOf(this);
	if (wired) wired.alive = true;
}

/** A protocol error from the peer; `close` follows and cleans up. */
function ignoreWsError(): void {}

/** Wires an accepted socket to the handler `open` returns for it. */
export function wireSocket(
	ws: WebSocket,
	maxBuffered: number,
	budget: SendBudget,
	open: (socket: ServerWebSocket) => WebSocketHandler,
): WiredSocket {
	const wired = new WiredSocket(ws, maxBuffered, budget);
	(ws as WithWired)[WIRED] = wired;
	wired.handler = open(wired);
	ws.on("pong", onWsPong);
	ws.on("message", onWsMessage);
	ws.on("close", onWsClose);
	ws.on("error", ignoreWsError);
	return wired;
}
