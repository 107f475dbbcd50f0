/** What corking a socket needs of it (a `net.Socket`). */
export interface Corkable {
	cork(): void;
	uncork(): void;
}

/**
 * The TCP socket under a `ws` WebSocket (its `_socket`, set once the upgrade
 * completes; server or client side), for corking: frames written between
 * `cork()` and `uncork()` leave in one `writev` instead of one `write` each.
 * Undefined for anything else (a browser's or undici's WebSocket) or before
 * the upgrade. `_socket` is a private field of `ws` 8: checked here at run
 * time and by test/server/broadcast-frames.test.ts on upgrades.
 */
export function corkableOf(ws: object): Corkable | undefined {
	const socket = (ws as { _socket?: Partial<Corkable> })._socket;
	return typeof socket?.cork === "function" && typeof socket.uncork === "function"
		? (socket as Corkable)
		: undefined;
}

/** Uncorks what {@link corkUntilTickEnd} corked (a module function: no closure per tick). */
function uncork(socket: Corkable, corked: Set<Corkable>): void {
	corked.delete(socket);
	socket.uncork();
}

const corkedNow = new Set<Corkable>();

/**
 * Corks `socket` until the current tick's synchronous code and microtasks
 * have run (`process.nextTick` runs after the microtask queue drains), so the
 * messages a burst of callbacks sends leave in one write. Idempotent within a
 * tick; nothing for a socket that cannot be corked.
 */
export function corkUntilTickEnd(ws: object): void {
	const socket = corkableOf(ws);
	if (socket === undefined || corkedNow.has(socket)) return;
	corkedNow.add(socket);
	socket.cork();
	process.nextTick(uncork, socket, corkedNow);
}
