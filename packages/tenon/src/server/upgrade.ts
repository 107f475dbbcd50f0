import { actorUnavailable, watchPeer } from "../cluster/forward.js";
import { HOLDER_HEADER, LINK_HEADER, MAX_HOPS, PEER_HEADER } from "../cluster/headers.js";
import { peerAlive } from "../cluster/peer-liveness.js";
import { requestIdOf } from "../common/request-id.js";
import { type Encoding, parseEncoding } from "../protocol/encoding.js";
import { ActorError, errors } from "../protocol/errors.js";
import type { Limits } from "../protocol/limits.js";
import type { ActorGateway, Caller, ResumeRequest } from "../runtime/actor-gateway.js";
import { OwnedElsewhereError } from "../storage/interfaces.js";
import { type AccessPolicy, presentedCredential } from "./access.js";
import type { ClientInfo } from "./caller-request.js";
import { ConnectionSession } from "./connection-session.js";
import { type GatewayRequest, parseGatewayRequest } from "./gateway.js";
import { parseConnParams } from "./gateway-routes.js";
import type { HeldBodies } from "./held-bodies.js";
import { errorResponse } from "./http-util.js";
import type { IncomingUpgrade, RequestHead } from "./incoming.js";
import type { Rate } from "./rate-limit.js";
import { RawWebSocketSession } from "./raw-websocket-session.js";
import type { Admitted, RequestGuard } from "./request-guard.js";
import {
	type DecodeTimeRates,
	SocketCounts,
	type SocketSlot,
	socketHandler,
} from "./socket-slots.js";
import {
	offeredProtocols,
	type ServerWebSocket,
	type UpgradeDecision,
	type WebSocketHandler,
} from "./websocket.js";

const PROTOCOL_STANDARD = "rivet";
const PROTOCOL_ENCODING = "rivet_encoding.";
const PROTOCOL_CONN_PARAMS = "rivet_conn_params.";
const PROTOCOL_TOKEN = "rivet_token.";
/** A connection id to resume (the one `Init` gave), and the secret the client chose for it. */
const PROTOCOL_CONN_ID = "rivet_conn.";
const PROTOCOL_CONN_TOKEN = "rivet_conn_token.";
/** A resume token: 16 to 128 URL-safe characters (the client's own random secret). */
const CONN_TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
/** A connection id as the runtime makes them. */
const CONN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A link from the cluster node holding a stored connection's socket (only
 * from a peer: the guard checked the cluster secret).
 */
function linkOf(request: RequestHead): ResumeRequest | undefined {
	if (request.headers.get(PEER_HEADER) === null) return undefined;
	const connId = request.headers.get(LINK_HEADER);
	const holder = request.headers.get(HOLDER_HEADER);
	if (connId === null || holder === null) return undefined;
	if (!CONN_ID_PATTERN.test(connId) || holder.length === 0 || holder.length > 200)
		throw errors.invalid("malformed connection link");
	return { connId, token: undefined, linkFrom: holder };
}

/** The resume request a socket carries, checked for shape (the actor checks the rest). */
function resumeOf(protocols: string[]): ResumeRequest | undefined {
	const id = protocols.find((p) => p.startsWith(PROTOCOL_CONN_ID))?.slice(PROTOCOL_CONN_ID.length);
	const token = protocols
		.find((p) => p.startsWith(PROTOCOL_CONN_TOKEN))
		?.slice(PROTOCOL_CONN_TOKEN.length);
	if (id === undefined && token === undefined) return undefined;
	if (token !== undefined && !CONN_TOKEN_PATTERN.test(token))
		throw errors.invalid("the connection token must be 16-128 characters of A-Z, a-z, 0-9, _ or -");
	if (id !== undefined && !CONN_ID_PATTERN.test(id))
		throw errors.invalid("malformed connection id");
	return { connId: id, token };
}

/** What the upgrade handler needs from the server core. */
export interface UpgradeDeps {
	basePath: string;
	stripBasePath(pathname: string, basePath: string): string | undefined;
	guard: RequestGuard;
	access: AccessPolicy;
	callerOf(
		head: RequestHead,
		webHeaders: () => Headers,
		admitted: Admitted,
		token: string | undefined,
		requestId?: string,
	): Caller;
	/** Messages per connection; `false`: unlimited. */
	perConnection: Rate | false;
	/** Decode time per connection and per address (ms a second); `false`: unlimited. */
	decodeTime: DecodeTimeRates;
	/** Bytes of requests held (HTTP bodies): action calls of `/connect` sockets count too. */
	held?: HeldBodies;
}

/** Params, encoding and token a WebSocket carries in its sub-protocols (or query, or headers). */
function socketOptions(
	protocols: string[],
	request: RequestHead,
	actors: ActorGateway,
	raw: boolean,
): {
	params: unknown;
	token: string | undefined;
	resume: ResumeRequest | undefined;
} {
	const paramsProtocol = protocols.find((p) => p.startsWith(PROTOCOL_CONN_PARAMS));
	let params: unknown;
	if (paramsProtocol !== undefined) {
		let raw: string;
		try {
			raw = decodeURIComponent(paramsProtocol.slice(PROTOCOL_CONN_PARAMS.length));
		} catch {
			throw errors.connParamsInvalid("not valid URL encoding");
		}
		params = parseConnParams(raw, actors.limits);
	}
	const tokenProtocol = protocols.find((p) => p.startsWith(PROTOCOL_TOKEN));
	const token = tokenProtocol?.slice(PROTOCOL_TOKEN.length) ?? presentedCredential(request);
	return { params, token, resume: raw ? undefined : resumeOf(protocols) };
}

/**
 * The encoding a WebSocket asks for (a raw socket carries the actor's own
 * frames: the offered encoding does not apply). Read before anything else
 * of the upgrade can fail, so that the error reaches the client in the
 * encoding it reads: params over their limit were answered in JSON text to a
 * CBOR client, which read `client/bad_message` and reconnected forever (a
 * walkthrough, 2026-11-28).
 */
function socketEncoding(protocols: string[], url: URL, raw: boolean): Encoding {
	if (raw) return "json";
	const offered = protocols.find((p) => p.startsWith(PROTOCOL_ENCODING));
	return parseEncoding(
		offered?.slice(PROTOCOL_ENCODING.length) ?? url.searchParams.get("encoding"),
	);
}

function reject(actors: ActorGateway, error: unknown): UpgradeDecision {
	actors.requestFailed(error);
	return { kind: "reject", response: errorResponse(error, "json", actors.exposeInternalErrors) };
}

/**
 * The core's WebSocket upgrade hook. Requests the server must not serve at
 * all (a foreign Host or Origin, over a rate or the node's connection limit)
 * are refused with a plain HTTP error, before any socket exists. Refusals
 * by the actor (its hooks, bad params) accept the upgrade and then close with
 * a code and a `group.code` reason, since browsers cannot read an HTTP error
 * on a failed upgrade.
 */
export function createUpgradeHandler(
	actors: ActorGateway,
	deps: UpgradeDeps,
): (upgrade: Request | IncomingUpgrade, client?: ClientInfo) => Promise<UpgradeDecision> {
	const limits = actors.limits;
	const counts = new SocketCounts(
		deps.guard,
		limits,
		deps.perConnection,
		deps.decodeTime,
		deps.held,
	);

	return async (upgrade, client) => {
		// A Web Request (the in-process socket, other runtimes), or the Node
		// adapter's head of an IncomingMessage: no Request, Headers copy or
		// AbortSignal per connection.
		const request: RequestHead = "head" in upgrade ? upgrade.head : upgrade;
		const webHeaders =
			"head" in upgrade ? () => upgrade.webHeaders() : () => (upgrade as Request).headers;
		const url = new URL(request.url);
		let admitted: Admitted;
		let protocols: string[];
		let link: ResumeRequest | undefined;
		/** Per-address limits apply: a client's socket, come straight or passed through by a node. */
		let limited: boolean;
		let rated: boolean;
		/** It asks to resume a connection, which may wait for it counted against its address. */
		let resuming = false;
		try {
			admitted = deps.guard.admit(request, client);
			deps.guard.checkStateChange(request, admitted);
			link = admitted.trusted ? linkOf(request) : undefined;
			// A node's own sockets (an actor's, a link to a stored connection) are not a
			// client's; a client's socket a node passed through counts by the client's
			// address, or one address filled an actor through another node (a probe).
			limited = !admitted.internal && link === undefined;
			// A link's messages were admitted under its client's rate on the node that holds
			// the client's socket; refused here too, the count of what this node took (which
			// that node sends again after the actor sleeps) would skip them.
			rated = link === undefined;
			// Refused with an answer here: accepted, `ws` would refuse it with one of its own.
			protocols = offeredProtocols(request.headers.get("sec-websocket-protocol"));
			resuming =
				protocols.some((protocol) => protocol.startsWith(PROTOCOL_CONN_ID)) &&
				protocols.some((protocol) => protocol.startsWith(PROTOCOL_CONN_TOKEN));
			checkSocketLimits(counts, limits, limited ? admitted.remoteAddress : undefined, {
				...deps,
				resuming,
			});
		} catch (error) {
			return reject(actors, error);
		}
		const path = deps.stripBasePath(url.pathname, deps.basePath);
		let gateway: GatewayRequest | undefined;
		let earlyError: unknown;
		try {
			gateway = path === undefined ? undefined : parseGatewayRequest(path, url, limits);
		} catch (error) {
			earlyError = error;
		}
		const kind =
			gateway === undefined
				? undefined
				: gateway.path === "/connect"
					? "connect"
					: gateway.path === "/websocket" || gateway.path.startsWith("/websocket/")
						? "raw"
						: undefined;
		if (earlyError === undefined && kind === undefined) {
			return reject(actors, errors.routeNotFound("GET", url.pathname));
		}
		let encoding: Encoding = "json";
		let caller: Caller | undefined;
		let resume: ResumeRequest | undefined;
		try {
			encoding = socketEncoding(protocols, url, kind === "raw");
			const options = socketOptions(protocols, request, actors, kind === "raw");
			resume = link ?? options.resume;
			const token = gateway?.token ?? options.token;
			deps.access.checkClient(token, admitted.internal);
			// The upgrade's id reaches `onWebSocket`; realtime actions get one each.
			const requestId = requestIdOf(request.headers, admitted.trusted);
			const base = deps.callerOf(request, webHeaders, admitted, token, requestId);
			// Params from the sub-protocol, else from `x-rivet-conn-params` (which callerOf read):
			// the header's were dropped for every socket (an audit, 2026-11-27).
			caller = options.params === undefined ? base : { ...base, params: options.params };
		} catch (error) {
			earlyError ??= error;
		}
		let created = false;
		/** The socket's slot, taken before an await (the owner's lookup) and kept for its session. */
		let held: SocketSlot | undefined;
		const cluster = actors.cluster;
		if (cluster && earlyError === undefined && gateway !== undefined) {
			// Counted while the actor's owner is found (it may take a while) and until the socket
			// opens: upgrades arriving meanwhile see it, and the limits are checked again once the
			// owner is found. Checked only before, sockets arriving together all passed them; given
			// back between the check and the socket's opening, lookups that ended in the same tick
			// still could.
			const finding = counts.take(admitted.remoteAddress, limited, rated);
			// Connect where the actor lives: here (waking it), or pass through to its owner.
			try {
				({ created } = await actors.prepare(
					{ namespace: gateway.namespace, target: gateway.target },
					caller as Caller,
				));
				checkSocketLimits(
					counts,
					limits,
					limited ? admitted.remoteAddress : undefined,
					{ ...deps, resuming },
					1,
				);
				held = finding;
			} catch (error) {
				finding.release();
				if (error instanceof OwnedElsewhereError) {
					const hops = admitted.hops;
					// A link goes to the owner only: the holder finds the new one itself.
					if (resume?.linkFrom !== undefined)
						earlyError = new ActorError("actor", "moved", "The actor moved to another node");
					else if (hops >= MAX_HOPS) earlyError = actorUnavailable("its ownership kept moving");
					else {
						return {
							kind: "proxy",
							address: error.owner.address,
							hops: hops + 1,
							retryUntil: Date.now() + cluster.leaseTtlMs + 2_000,
							peerSecret: cluster.peerSecret,
							forwardedFor: admitted.remoteAddress,
							internal: admitted.internal,
							callDepth: admitted.callDepth,
							entryHost: admitted.forwardedHost,
							ownerAlive: () => peerAlive(cluster, deps.basePath, error.owner.nodeId),
							watchOwner: (onGone) =>
								watchPeer(
									error.owner.nodeId,
									{
										leaseTtlMs: cluster.leaseTtlMs,
										peerSecret: cluster.peerSecret,
										ownerAlive: (nodeId, address) =>
											peerAlive(cluster, deps.basePath, nodeId, address),
									},
									onGone,
									error.owner.address,
								),
							unavailable: () =>
								errorResponse(
									actorUnavailable(`node ${error.owner.nodeId} does not answer`),
									"json",
									actors.exposeInternalErrors,
								),
							hold: () => {
								const slot = counts.take(admitted.remoteAddress, limited, rated);
								return () => slot.release();
							},
						};
					}
				} else earlyError = error;
			}
		}
		// A raw socket may negotiate its own sub-protocol (offered first);
		// otherwise the standard one is selected when offered.
		const first = protocols[0];
		const userProtocol =
			kind === "raw" && first !== undefined && !first.startsWith("rivet") ? first : undefined;
		const selected =
			userProtocol ?? (protocols.includes(PROTOCOL_STANDARD) ? PROTOCOL_STANDARD : first);
		const address = admitted.remoteAddress;
		return {
			kind: "accept",
			protocol: selected,
			maxMessageBytes:
				kind === "raw" ? limits.maxRawWebSocketMessageBytes : limits.maxIncomingMessageBytes,
			abandon: () => held?.release(),
			open: (socket: ServerWebSocket) =>
				openSession(socket, held ?? counts.take(address, limited, rated), {
					actors,
					kind,
					encoding,
					gateway,
					caller,
					created,
					resume,
					earlyError,
				}),
		};
	};
}

/** What an accepted socket's session starts from (dropped once it has started). */
interface SessionSetup {
	actors: ActorGateway;
	kind: "connect" | "raw" | undefined;
	encoding: Encoding;
	gateway: GatewayRequest | undefined;
	caller: Caller | undefined;
	created: boolean;
	resume: ResumeRequest | undefined;
	earlyError: unknown;
}

/**
 * Starts the session of an accepted socket. Module-level on purpose: the
 * handler it returns lives as long as the socket and must not capture the
 * upgrade (see socket-slots.ts).
 */
function openSession(
	socket: ServerWebSocket,
	slot: SocketSlot,
	setup: SessionSetup,
): WebSocketHandler {
	const session =
		setup.kind === "raw"
			? new RawWebSocketSession(setup.actors, socket, slot)
			: new ConnectionSession(setup.actors, socket, setup.encoding, slot);
	if (setup.earlyError !== undefined) session.reject(setup.earlyError);
	else if (setup.kind === "raw") {
		const target = setup.gateway as GatewayRequest;
		const query = target.query;
		const rawUrl = `${target.path.slice("/websocket".length) || "/"}${query ? `?${query}` : ""}`;
		(session as RawWebSocketSession).start(target, rawUrl, setup.caller as Caller, setup.created);
	} else {
		(session as ConnectionSession).start(
			setup.gateway as GatewayRequest,
			setup.caller as Caller,
			setup.created,
			setup.resume,
		);
	}
	return socketHandler(session, slot);
}

/**
 * Throws when the node, or `address` (undefined: not limited), has all the sockets it may;
 * `own`: slots the caller already holds for this socket (counted, not one more).
 * `resuming`: the socket asks to resume a connection (an id and its secret): while connections
 * wait for their clients counted against the address (socket-slots.ts, holdAddress), it may go
 * one over the address's limit, or a client at its limit could not come back for its own
 * connection until the wait ended. Any socket offering an id got that allowance (a review).
 */
function checkSocketLimits(
	counts: SocketCounts,
	limits: Limits,
	address: string | undefined,
	deps: {
		guard: { limitKey(address: string | undefined): string | undefined };
		resuming?: boolean;
	},
	own = 0,
): void {
	if (counts.open - own >= limits.maxConnections)
		throw errors.tooManyConnections("node", limits.maxConnections);
	const key = address === undefined ? undefined : deps.guard.limitKey(address);
	const waiting = deps.resuming === true && key !== undefined && counts.holdsFor(key) ? 1 : 0;
	if (key !== undefined && counts.ofAddress(key) - own - waiting >= limits.maxConnectionsPerAddress)
		throw errors.tooManyConnections("address", limits.maxConnectionsPerAddress);
}
