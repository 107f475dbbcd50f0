/**
 * Size limits the server enforces. Every breach is a clear `group/code` error,
 * never a crash or a silent truncation. Defaults follow PROTOCOL.md.
 */
export interface Limits {
	/** Largest WebSocket message a client may send. */
	maxIncomingMessageBytes: number;
	/** Largest message (action response or event) the server will send. */
	maxOutgoingMessageBytes: number;
	/** Largest HTTP request body. */
	maxHttpBodyBytes: number;
	/** Largest connection params (JSON) in a header or sub-protocol. */
	maxConnParamsBytes: number;
	/** Largest actor input (encoded). */
	maxInputBytes: number;
	/** Largest single key component, in UTF-8 bytes. */
	maxKeyComponentBytes: number;
	/** Largest key (all components), in UTF-8 bytes. */
	maxKeyBytes: number;
	/**
	 * Most components in a key. Stores add a few bytes per component (LMDB's
	 * directory a 2-byte length), so without it many empty components made a
	 * key too long to store within `maxKeyBytes`.
	 */
	maxKeyComponents: number;
	/** Largest action or event name, in UTF-8 bytes. */
	maxNameBytes: number;
	/**
	 * Longest a queue send with `wait: true` waits for its completion (ms); a
	 * longer `timeout`, or none, is capped to it. Default 5 minutes.
	 */
	maxQueueWaitMs: number;
	/** Most actors awake on this node; waking one more puts the least recently used idle ones to sleep. */
	maxAwakeActors: number;
	/** Most open connections (realtime and raw WebSockets) per actor. */
	maxConnectionsPerActor: number;
	/** Most open WebSockets on this node. */
	maxConnections: number;
	/** Most events one connection may subscribe to. */
	maxSubscriptionsPerConnection: number;
	/** Most actions one connection may have waiting for an answer. */
	maxInFlightActionsPerConnection: number;
	/** Most HTTP request bodies read at once on this node. */
	maxConcurrentRequestBodies: number;
	/**
	 * Most bytes of HTTP request bodies this node holds at once, read (or
	 * declared, while read) and not yet answered; past it, `503
	 * limit/overloaded` until some are answered (one body always fits when
	 * none is held).
	 */
	maxBufferedBodyBytes: number;
	/**
	 * Most of {@link maxBufferedBodyBytes} one client address may hold
	 * (where per-address limits apply, see `rateLimits`): one address alone
	 * cannot have everyone else refused.
	 */
	maxBufferedBodyBytesPerAddress: number;
	/** Most HTTP request bodies read at once from one client address (loopback exempt, see `rateLimits`). */
	maxConcurrentRequestBodiesPerAddress: number;
	/** Most open WebSockets from one client address (loopback exempt, see `rateLimits`). */
	maxConnectionsPerAddress: number;
	/** Largest message on a raw WebSocket (`onWebSocket`), either way in. */
	maxRawWebSocketMessageBytes: number;
	/**
	 * Most replies and events all connections of the process may hold at once
	 * while their writes become durable (bytes): past it, a connection holding
	 * over 1 MiB is closed with 1013 when it would hold more.
	 */
	maxHeldBytesPerNode: number;
	/**
	 * TCP connections (HTTP and WebSocket) one client address may hold open on
	 * a node started with `start()` (an IPv6 /64 counts as one address;
	 * loopback only with `rateLimits.limitLoopback`; on PostgreSQL storage,
	 * whose nodes connect to each other, only when set). Past it a new
	 * connection is closed as soon as it is accepted. Without it one address
	 * could hold every descriptor the process may open, refusing everyone else
	 * (idle connections last `headersTimeoutMs`, and a request every few
	 * seconds keeps one open). 0: no limit.
	 */
	maxSocketsPerAddress: number;
	/**
	 * TCP connections a node started with `start()` holds open in all (Node's
	 * `server.maxConnections`). Default 90% of the process's open-file limit
	 * (at least 64), so that storage always has descriptors left; 0 (the
	 * default where that limit is unknown): no limit.
	 */
	maxSockets: number;
	/** Longest a client may take to send its request headers (ms). */
	headersTimeoutMs: number;
	/** Longest a client may take to send a whole request, body included (ms). */
	requestTimeoutMs: number;
	/**
	 * Slowest a request body may arrive, on average since it began, once
	 * {@link requestBodyGraceMs} has passed (bytes per second); a slower one
	 * ends with `408 request/body_too_slow`. Bodies hold one of the
	 * `maxConcurrentRequestBodies`: without it, 128 bodies dripping a byte now
	 * and then refused every other caller's body for `requestTimeoutMs`.
	 */
	minRequestBodyBytesPerSecond: number;
	/** How long a request body may take before its pace is checked (ms). */
	requestBodyGraceMs: number;
	/**
	 * When every one of `maxConcurrentRequestBodies` is taken, a new body takes
	 * the slot of the slowest read that is past its first second and slower
	 * than this on average (bytes per second; that read ends with `408
	 * request/body_too_slow`). 0 turns it off: a new body is refused (429).
	 */
	minRequestBodyBytesPerSecondWhenBusy: number;
	/** How long an idle keep-alive HTTP connection stays open (ms). */
	keepAliveTimeoutMs: number;
	/**
	 * How long a connection answered before its request body was read to the
	 * end (a body refused, or left unread) goes on reading and discarding the
	 * rest after the answer, so that a client still sending reads the answer
	 * rather than a connection reset (ms); it closes sooner once the client
	 * ends its side. 0 closes at once.
	 */
	lingeringCloseMs: number;
	/**
	 * How long a WebSocket message may take from its first byte to its last (ms): a socket
	 * whose client leaves a frame or a fragmented message unfinished longer is closed (1013
	 * `message.incoming_too_slow`), checked every third of it. 0 never checks.
	 */
	incomingMessageTimeoutMs: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** The default limits. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
	maxIncomingMessageBytes: 64 * KiB,
	maxOutgoingMessageBytes: MiB,
	maxHttpBodyBytes: 20 * MiB,
	maxConnParamsBytes: 4 * KiB,
	maxInputBytes: 4 * MiB,
	maxKeyComponentBytes: 128,
	maxKeyBytes: KiB,
	maxKeyComponents: 128,
	maxNameBytes: 256,
	maxQueueWaitMs: 5 * 60_000,
	maxAwakeActors: 10_000,
	maxConnectionsPerActor: 10_000,
	maxConnections: 100_000,
	maxSubscriptionsPerConnection: 1_000,
	maxInFlightActionsPerConnection: 128,
	maxConcurrentRequestBodies: 128,
	maxBufferedBodyBytes: 512 * MiB,
	maxBufferedBodyBytesPerAddress: 64 * MiB,
	maxConcurrentRequestBodiesPerAddress: 8,
	maxConnectionsPerAddress: 256,
	maxRawWebSocketMessageBytes: MiB,
	maxHeldBytesPerNode: 512 * MiB,
	maxSocketsPerAddress: 512,
	maxSockets: 0,
	headersTimeoutMs: 10_000,
	requestTimeoutMs: 60_000,
	minRequestBodyBytesPerSecond: 240,
	requestBodyGraceMs: 5_000,
	minRequestBodyBytesPerSecondWhenBusy: 64 * 1024,
	keepAliveTimeoutMs: 5_000,
	lingeringCloseMs: 2_000,
	incomingMessageTimeoutMs: 30_000,
});
