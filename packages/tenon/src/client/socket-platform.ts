// What the client's socket code does differently on Node's `ws` and on a
// browser's (or undici's) WebSocket: how frames arrive, what says the server
// is there, and how a socket the client gave up on is dropped.

/** The `OPEN` ready state, spelled out: Node 20 has no global `WebSocket` to read it from. */
export const WS_OPEN = 1;

/** The events of Node's `ws` the client listens to (a Buffer for `message`, text frames included). */
interface NodeWsEvents {
	on?(event: "message", listener: (data: Buffer, isBinary: boolean) => void): void;
	on?(event: "ping" | "pong", listener: () => void): void;
}

/** Node's `ws` can drop a socket at once, without the closing handshake. */
interface Terminable {
	terminate?(): void;
}

/** Node's `ws` is the only WebSocket with an `on` method. */
function isNodeWs(socket: WebSocket): boolean {
	return typeof (socket as unknown as NodeWsEvents).on === "function";
}

/**
 * Sets how binary frames arrive: Node's `ws` can hand over the frame's own
 * bytes (a Buffer, which is a Uint8Array) where "arraybuffer" copies each
 * frame into a new ArrayBuffer. Others are not asked: Chromium logs a console
 * warning for the value, and undici turns it into "blob". It is kept only
 * when the socket took it.
 */
export function chooseBinaryType(socket: WebSocket): void {
	socket.binaryType = "arraybuffer";
	if (isNodeWs(socket)) {
		socket.binaryType = "nodebuffer" as BinaryType;
		if ((socket.binaryType as string) !== "nodebuffer") socket.binaryType = "arraybuffer";
	}
}

/**
 * Calls `heard` on every pong (and every ping of the server's own) on Node's
 * `ws`: either says the server is there. Browsers do not show control frames.
 */
export function onControlFrames(socket: WebSocket, heard: () => void): void {
	const nodeWs = socket as unknown as NodeWsEvents;
	if (typeof nodeWs.on !== "function") return;
	nodeWs.on("pong", heard);
	nodeWs.on("ping", heard);
}

/**
 * Calls `onFrame` with each data frame: a string for text, bytes (a Buffer or
 * an ArrayBuffer) for binary. On Node's `ws` with "nodebuffer" its own event
 * hands over the frame, where its addEventListener wraps each one in a
 * MessageEvent.
 */
export function onDataFrames(socket: WebSocket, onFrame: (data: unknown) => void): void {
	const nodeWs = socket as unknown as NodeWsEvents;
	if ((socket.binaryType as string) === "nodebuffer" && typeof nodeWs.on === "function") {
		nodeWs.on("message", (data, isBinary) => onFrame(isBinary ? data : data.toString("utf8")));
	} else socket.addEventListener("message", (event) => onFrame(event.data));
}

function terminate(socket: WebSocket): void {
	const terminable = socket as unknown as Terminable;
	if (typeof terminable.terminate === "function") terminable.terminate();
}

/**
 * Closes a socket the client gave up on, with `code` and `reason`; with
 * `cut`, Node's `ws` drops it at once instead (a server that stopped
 * answering would not answer the closing handshake either).
 */
export function closeSocket(socket: WebSocket, code: number, reason: string, cut: boolean): void {
	if (cut && typeof (socket as unknown as Terminable).terminate === "function") terminate(socket);
	else if (socket.readyState <= WS_OPEN) socket.close(code, reason);
}

/**
 * Closes `socket` with `code` and `reason`, and resolves once the server
 * answered the close or `waitMs` passed, whichever comes first. A server that
 * does not answer in time is not waited for: the socket is cut (Node's `ws`
 * would otherwise keep it, and the process, 30 s more).
 */
export function closeWithin(
	socket: WebSocket,
	code: number,
	reason: string,
	waitMs: number,
): Promise<void> {
	return new Promise<void>((resolve) => {
		const cut = setTimeout(() => {
			terminate(socket);
			resolve();
		}, waitMs);
		socket.addEventListener("close", () => {
			clearTimeout(cut);
			resolve();
		});
		socket.close(code, reason);
	});
}

/** An `error` event of Node's `ws` for a message over its `maxPayload`. */
export function isMessageTooLarge(event: Event): boolean {
	const error = (event as { error?: { code?: unknown } }).error;
	return error?.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH";
}
