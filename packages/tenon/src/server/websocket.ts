import { errors } from "../protocol/errors.js";

/**
 * The server side of an accepted WebSocket, as adapters provide it. Frames
 * are text (JSON) or binary (CBOR).
 */
export interface ServerWebSocket {
	send(data: string | Uint8Array): void;
	/**
	 * Sends a frame the runtime encoded, which never changes once sent: a
	 * broadcast hands the same frame object to every socket, so an adapter may
	 * prepare its wire form once and write that to each (user data, which may
	 * be changed and sent again, goes through {@link send}).
	 */
	sendShared(frame: string | Uint8Array): void;
	/**
	 * Optional: holds what is sent until the matching {@link uncork}, so
	 * several frames leave in one write (a commit's replies to one client).
	 */
	cork?(): void;
	uncork?(): void;
	close(code: number, reason: string): void;
	/**
	 * Optional: closes, and ends the socket a second later whether or not the client answered
	 * the close: for a client that broke a limit (without it, {@link close}, which waits for
	 * the client's close frame up to `ws`'s 30 s).
	 */
	closeUnread?(code: number, reason: string): void;
	/** Optional: reads nothing more from the client for `ms`, frames already read included. */
	pause?(ms: number): void;
	/** Optional: false once the socket is closing or closed (either side began the close). */
	readonly open?: boolean;
}

/** Closes `socket` for its client's fault (see {@link ServerWebSocket.closeUnread}). */
export function closeForFault(socket: ServerWebSocket, code: number, reason: string): void {
	if (socket.closeUnread !== undefined) socket.closeUnread(code, reason);
	else socket.close(code, reason);
}

/** Callbacks an adapter drives for an accepted WebSocket. */
export interface WebSocketHandler {
	onMessage(data: string | Uint8Array): void;
	onClose(code: number, reason: string): void;
}

/** The core's answer to an upgrade request. */
export type UpgradeDecision =
	| {
			kind: "accept";
			/** The sub-protocol to select (`rivet` when offered). */
			protocol: string | undefined;
			/** Largest message the adapter should accept before closing with 1009. */
			maxMessageBytes: number;
			/** Called once the socket is open; returns the handler for its events. */
			open(socket: ServerWebSocket): WebSocketHandler;
			/**
			 * Called instead of {@link open} when the socket will not open (it went before its
			 * handshake): what the upgrade holds for it is given back.
			 */
			abandon(): void;
	  }
	| { kind: "reject"; response: Response }
	| {
			/** Cluster: another node owns the actor; pass the upgrade through to it. */
			kind: "proxy";
			/** The owner's base URL. */
			address: string;
			/** Value of the hop header to send. */
			hops: number;
			/** If the owner cannot be reached, ask again (it may have died) until then (ms epoch). */
			retryUntil: number;
			/** The cluster secret the forwarded upgrade proves itself with. */
			peerSecret: string;
			/** The original client's address, passed on. */
			forwardedFor: string | undefined;
			/** An actor opened the socket (passed on). */
			internal: boolean;
			/** Actor-to-actor calls that lead to the socket (passed on). */
			callDepth: number;
			/** The Host the client sent where it entered the cluster (a peer's, passed on again). */
			entryHost?: string | undefined;
			/** Whether the owner still beats (renewed within the lease time). */
			ownerAlive?: () => Promise<boolean>;
			/**
			 * Calls `onGone` once the owner stops beating, checked every half lease time (one
			 * check per owner node for all its sockets); returns the unwatch.
			 */
			watchOwner?: (onGone: () => void) => () => void;
			/** The answer when the owner stays out of reach past `retryUntil`. */
			unavailable(): Response;
			/**
			 * Counts the passed-through socket among this node's (and its client
			 * address's) while the pipe is open; call the returned function when it closes.
			 */
			hold(): () => void;
	  };

/** A sub-protocol name: an HTTP token (RFC 9110 section 5.6.2). */
const PROTOCOL_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Parses the `sec-websocket-protocol` header into its offered sub-protocols,
 * or throws `request/invalid` for a header `ws` would refuse (an empty
 * element, a name twice, a character no name may hold): `ws` answered those
 * with a bare 400 of its own, after the upgrade had taken a connection slot.
 */
export function offeredProtocols(header: string | null): string[] {
	if (header === null) return [];
	const names = header.split(",").map((part) => part.replace(/^[ \t]+|[ \t]+$/g, ""));
	if (!names.every((name) => PROTOCOL_NAME.test(name)) || new Set(names).size !== names.length)
		throw errors.invalid("the Sec-WebSocket-Protocol header is not a list of distinct names");
	return names;
}
