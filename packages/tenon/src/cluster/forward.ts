import { maxHeaderSize } from "node:http";
import { Readable } from "node:stream";
import { relayBody } from "../common/relay-body.js";
import { PEER_REQUEST_ID_HEADER } from "../common/request-id.js";
import { injectTraceHeaders } from "../observability/trace-context.js";
import { traceClusterForward } from "../observability/tracing.js";
import { ActorError } from "../protocol/errors.js";
import { type ActorOwner, OwnedElsewhereError } from "../storage/interfaces.js";
import {
	CALL_DEPTH_HEADER,
	CLUSTER_HEADERS,
	FORWARDED_FOR_HEADER,
	FORWARDED_HOST_HEADER,
	FORWARDED_INTERNAL_HEADER,
	HOPS_HEADER,
	MAX_HOPS,
	NOT_RUN_HEADER,
	PEER_HEADER,
} from "./headers.js";

/**
 * Headers not copied to a forwarded request or response: the hop-by-hop
 * ones (RFC 9110 section 7.6.1; also those a message's `Connection` names,
 * see {@link connectionNamed}), those the hop sets itself, and `expect` (the
 * node answered the client's `100-continue` already: curl sends it with
 * every body over 1 MB). `Content-Encoding` is end to end and passes both
 * ways, with the body as it was sent: before 2026-11-26 it was dropped both
 * ways, a client's gzip body reached the owner without it, and an owner's
 * reply was decompressed on the way (a 50 KB gzip relayed as 50 MB) or, in
 * an encoding `fetch` does not know, sent on encoded without the header.
 */
const HOP_BY_HOP = new Set([
	"host",
	"connection",
	"keep-alive",
	"proxy-connection",
	"proxy-authenticate",
	"proxy-authorization",
	"te",
	"trailer",
	"transfer-encoding",
	"content-length",
	"upgrade",
	"expect",
	...CLUSTER_HEADERS,
]);

/**
 * The header names a message's `Connection` header lists: hop-by-hop by
 * RFC 9110 section 7.6.1, for this hop only (a proxy must not pass them on).
 * The cluster's own headers are set after the client's are filtered, so a
 * client that names them removes nothing of the node's.
 */
function connectionNamed(connection: string | null): Set<string> {
	const named = new Set<string>();
	if (connection === null) return named;
	for (const token of connection.split(",")) {
		const name = token.trim().toLowerCase();
		if (name !== "") named.add(name);
	}
	return named;
}

/** Whether header `name` of a message whose `Connection` lists `named` goes on to the next hop. */
const passesOn = (name: string, named: Set<string>) => !HOP_BY_HOP.has(name) && !named.has(name);

/** How to forward: the lease time to retry within, and what proves this node to its peers. */
export interface ForwardOptions {
	leaseTtlMs: number;
	/** The cluster secret (sent as {@link PEER_HEADER}). */
	peerSecret: string;
	/** The original client's address, passed on. */
	forwardedFor: string | undefined;
	/** An actor made the request (passed on, so the owner's hooks see `c.request.internal`). */
	internal: boolean;
	/** The request's id: the owner logs the call under the id the client gets back. */
	requestId?: string;
	/** Times the request was forwarded before it came here (a peer's count, never a client's). */
	hops: number;
	/** Actor-to-actor calls that lead to it (passed on: the owner refuses a chain too deep). */
	callDepth: number;
	/** The Host the client sent where it entered (a peer's, passed on again), else the request's own. */
	entryHost?: string | undefined;
	/**
	 * Whether node `nodeId` still beats (renewed within the lease time): a
	 * forward in flight to one that stopped is given up (see {@link watchOwner}).
	 * `address`: where it was reached, asked when its row is gone (see peerAlive).
	 */
	ownerAlive?: (nodeId: string, address?: string) => Promise<boolean>;
}

/**
 * The connections to peers. No time limit of its own on a reply's headers or
 * body: a queue `wait` of five minutes through another node failed at
 * undici's default 300 s as "outcome unknown" (a review, 2026-11-26), and a
 * streamed reply may idle. The client's signal and {@link watchOwner} end
 * what must end. Requests go through undici's `request`, not `fetch`: a
 * proxy's hop must pass the message as it is, and `fetch` added headers the
 * client never sent (`user-agent: undici`, `accept`, `accept-language`,
 * `sec-fetch-mode`, `accept-encoding`) and decoded the reply's body (an
 * attacker probe, 2026-11-26). `request` follows no redirect either.
 */
let peerHop: Promise<PeerHop> | undefined;

/** undici's `request` and the peers' connection pool. */
export interface PeerHop {
	request: typeof import("undici").request;
	peers: import("undici").Agent;
}

/**
 * Loaded on a node's first forward, not at startup: undici took 155 ms of a
 * 650 ms start (a profile, 2026-11-26), and a single node never forwards.
 */
export function loadPeerHop(): Promise<PeerHop> {
	peerHop ??= import("undici").then(({ Agent, request }) => ({
		request,
		peers: new Agent({ headersTimeout: 0, bodyTimeout: 0 }),
	}));
	return peerHop;
}

/** The owner could not be reached in time, or ownership kept moving. */
export function actorUnavailable(reason: string, notRun = false): ActorError {
	return new ActorError(
		"actor",
		"unavailable",
		`The actor's node could not be reached (${reason}); try again`,
		// Known not to have run (nothing reached an owner that ran it): safe to send again. Without
		// it the call may or may not have run (a cluster walkthrough, 2026-11-29: a call refused
		// unrun by a stopping owner until the lease time read as "outcome unknown").
		notRun ? { ran: false } : undefined,
	);
}

/** True for errors that mean "nothing reached the owner" (safe to try again). */
/**
 * Whether `error` refused a request before any of it ran: the server is
 * shutting down, or the actor is going to sleep. An owner marks its answer
 * to a forwarded request so (see {@link NOT_RUN_HEADER}).
 */
export function refusedUnrun(error: unknown): boolean {
	if (!(error instanceof ActorError)) return false;
	return (
		(error.group === "core" && error.code === "shutting_down") ||
		(error.group === "actor" && error.code === "stopping")
	);
}

/**
 * Lets a reply's body go unread. Destroyed before its end, undici's body
 * emits an error: with no listener it ended the process, at the first
 * forwarded HEAD request or 204 reply (2026-11-26).
 */
export function discard(body: Readable): void {
	body.on("error", () => {});
	body.destroy();
}

/** The owner refused a forwarded request without running it (see {@link NOT_RUN_HEADER}). */
class NotRunError extends Error {
	constructor() {
		super("the owner did not run the request");
	}
}

/** Whether `error`, or an error in its chain of causes, has one of `codes`. */
export function hasErrorCode(error: unknown, codes: ReadonlySet<string>): boolean {
	for (let cause = error; cause; cause = (cause as { cause?: unknown }).cause) {
		if (codes.has((cause as { code?: unknown }).code as string)) return true;
		if (cause === (cause as { cause?: unknown }).cause) break;
	}
	return false;
}

/** Errors of a connection that could not be made. */
const CONNECT_FAILURES = new Set([
	"ECONNREFUSED",
	"EHOSTUNREACH",
	"ENETUNREACH",
	"ENOTFOUND",
	"UND_ERR_CONNECT_TIMEOUT",
]);

export function isConnectFailure(error: unknown): boolean {
	return hasErrorCode(error, CONNECT_FAILURES);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Serves a request here, or on the node that owns its actor: `serve` runs it
 * locally and throws {@link OwnedElsewhereError} when another node owns the
 * actor; the request (its body buffered by the caller) is then forwarded.
 * If the owner cannot be reached (it died), this retries until its lease
 * expires and the actor can be taken over here.
 */
export async function serveOrForward(
	request: Request,
	body: Uint8Array | undefined,
	options: ForwardOptions,
	serve: (request: Request) => Promise<Response>,
): Promise<Response> {
	const deadline = Date.now() + options.leaseTtlMs + 2_000;
	const hops = options.hops;
	for (let attempt = 0; ; attempt++) {
		// The client's signal goes along: a client that leaves ends what waits
		// for it (a queue `wait` held an actor awake for minutes without it).
		const local = new Request(request.url, {
			method: request.method,
			headers: request.headers,
			signal: request.signal,
			...(body === undefined ? {} : { body: body as Uint8Array<ArrayBuffer> }),
		});
		let owner: OwnedElsewhereError["owner"];
		try {
			return await serve(local);
		} catch (error) {
			if (!(error instanceof OwnedElsewhereError)) throw error;
			owner = error.owner;
		}
		if (hops >= MAX_HOPS) throw actorUnavailable("its ownership kept moving", true);
		const address = ownerAddress(owner.address);
		if (address !== undefined) {
			try {
				return await traceClusterForward({ ...owner, hops: hops + 1 }, () =>
					watchOwner(owner, request.signal, options, (signal) =>
						forward(request, body, address, hops + 1, options, signal),
					),
				);
			} catch (error) {
				// Refused before it was sent (see checkHeadSize): the client's to fix.
				if (error instanceof ActorError) throw error;
				// Refused unrun (the owner stops, or the actor sleeps): as if never sent.
				if (!(error instanceof NotRunError) && !isConnectFailure(error)) {
					throw actorUnavailable(
						"the owner failed while handling the request; its outcome is unknown",
					);
				}
			}
		}
		// Nothing reached the owner (or it has no address yet: its node row comes back with
		// its next heartbeat): try again until its lease would have expired.
		if (Date.now() > deadline)
			throw actorUnavailable(`node ${owner.nodeId} does not answer, or refused it unrun`, true);
		await sleep(Math.min(50 * 2 ** attempt, 500));
	}
}

/**
 * A node's address as a base URL, or undefined when it is none (an owner
 * whose node row is missing has the address "").
 */
export function ownerAddress(address: string): URL | undefined {
	if (!URL.canParse(address)) return undefined;
	const url = new URL(address);
	return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
}

/** Bytes the hop adds to a request's head (host, connection, length), with room to spare. */
const FETCH_HEAD_BYTES = 512;

/**
 * Refuses a request whose head, with what this node adds, the owner's HTTP
 * parser would refuse (`maxHeaderSize`, 16 KiB by default, the same on every
 * node): a client's head just under it passed this node, and the owner
 * answered a bare 400 with no `group/code` (a probe).
 */
function checkHeadSize(method: string, target: URL, headers: Headers): void {
	let bytes = method.length + target.pathname.length + target.search.length + 12 + FETCH_HEAD_BYTES;
	headers.forEach((value, name) => {
		bytes += name.length + value.length + 4;
	});
	if (bytes > maxHeaderSize) throw headersTooLarge(bytes);
}

/** A request head of `bytes` with what this node adds, over the owner's HTTP limit. */
export function headersTooLarge(bytes: number): ActorError {
	return new ActorError(
		"request",
		"headers_too_large",
		`The request's headers take ${bytes} bytes with what a cluster node adds to them (at most ${maxHeaderSize})`,
		{ size: bytes, limit: maxHeaderSize },
	);
}

/** The forwards in flight to one peer node, and the one timer that checks it beats. */
interface PeerWatch {
	readonly waiting: Set<() => void>;
	readonly timer: NodeJS.Timeout;
	alive: (nodeId: string, address?: string) => Promise<boolean>;
	/** Where the node was reached (the latest watcher's: one node id has one address). */
	address: string | undefined;
	checking: boolean;
}

/**
 * One check per peer node, however many forwards wait on it (keyed by the
 * cluster secret and the node id: two clusters in one process may share
 * node ids). Each forward had its own timer and PostgreSQL query: 400
 * requests a client left waiting through one node made it query `nodes`
 * 390 times a second (an attacker probe, 2026-11-26), and a slow database
 * piled them up. A check still running skips the next tick.
 */
const peerWatches = new Map<string, PeerWatch>();

/** Calls `onGone` once node `nodeId` (reached at `address`) is seen not beating; returns the unwatch. */
export function watchPeer(
	nodeId: string,
	options: Pick<ForwardOptions, "leaseTtlMs" | "peerSecret" | "ownerAlive">,
	onGone: () => void,
	address?: string,
): () => void {
	const alive = options.ownerAlive as (nodeId: string, address?: string) => Promise<boolean>;
	const key = `${options.peerSecret}\n${nodeId}`;
	let watch = peerWatches.get(key);
	if (watch === undefined) {
		const waiting = new Set<() => void>();
		const created: PeerWatch = {
			waiting,
			alive,
			address,
			checking: false,
			timer: setInterval(
				() => {
					if (created.checking) return;
					created.checking = true;
					created.alive(nodeId, created.address).then(
						(beating) => {
							created.checking = false;
							if (!beating) for (const gone of [...waiting]) gone();
						},
						() => {
							created.checking = false;
						},
					);
				},
				Math.max(100, options.leaseTtlMs / 2),
			),
		};
		created.timer.unref();
		watch = created;
		peerWatches.set(key, watch);
	}
	watch.alive = alive;
	if (address !== undefined) watch.address = address;
	const entry = watch;
	entry.waiting.add(onGone);
	return () => {
		entry.waiting.delete(onGone);
		if (entry.waiting.size === 0 && peerWatches.get(key) === entry) {
			clearInterval(entry.timer);
			peerWatches.delete(key);
		}
	};
}

/** Peer nodes watched now (for tests). */
export function watchedPeers(): number {
	return peerWatches.size;
}

/**
 * Runs `send` (a forward to node `nodeId`) with a signal that also aborts
 * once that node stops beating: a frozen owner (stopped, paused, cut off)
 * accepts connections and never answers, and a forward to it waited for
 * minutes even after its lease had expired (a review, 2026-11-26). Checked
 * every half lease time, once per node for all its forwards (see
 * {@link peerWatches}); given up as `actor/unavailable` (outcome unknown).
 */
async function watchOwner(
	{ nodeId, address }: ActorOwner,
	clientSignal: AbortSignal,
	options: ForwardOptions,
	send: (signal: AbortSignal) => Promise<Response>,
): Promise<Response> {
	if (options.ownerAlive === undefined) return await send(clientSignal);
	const gone = new AbortController();
	const unwatch = watchPeer(nodeId, options, () => gone.abort(), address);
	const signal = AbortSignal.any([clientSignal, gone.signal]);
	let response: Response;
	try {
		response = await send(signal);
	} catch (error) {
		unwatch();
		if (gone.signal.aborted && !clientSignal.aborted)
			throw actorUnavailable(`node ${nodeId} stopped answering; the outcome is unknown`);
		throw error;
	}
	const body = response.body;
	if (body === null) {
		unwatch();
		return response;
	}
	// Watched until its body ends: a streamed reply whose owner froze after its
	// headers stayed open for good (a review, 2026-11-26); aborted, it errors.
	const reader = body.getReader();
	// A client gone (or the owner) while nothing reads the body (a stalled write)
	// ends the watch too: it queried PostgreSQL every half lease time for good.
	const left = () => {
		unwatch();
		// The abort ends the owner's body with an error first (a read in progress fails:
		// a reply cut short must not look complete to its client); cancelled after it,
		// in case nothing did.
		setImmediate(() => void reader.cancel().catch(() => {}));
	};
	signal.addEventListener("abort", left, { once: true });
	const done = () => {
		unwatch();
		signal.removeEventListener("abort", left);
	};
	return relayBody(response, reader, done);
}

/** Statuses whose response has no body (a `Response` refuses one). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** Sends `request` to `address` (same path and query) and returns its response. */
async function forward(
	request: Request,
	body: Uint8Array | undefined,
	address: URL,
	hops: number,
	options: ForwardOptions,
	signal: AbortSignal,
): Promise<Response> {
	const url = new URL(request.url);
	// The path set on the owner's address, not resolved against it: a path that began
	// with `//` would have named another host, the cluster secret sent there.
	const target = new URL(address.origin);
	target.pathname = url.pathname;
	target.search = url.search;
	const headers = new Headers();
	const named = connectionNamed(request.headers.get("connection"));
	request.headers.forEach((value, name) => {
		if (passesOn(name, named)) headers.set(name, value);
	});
	headers.set(HOPS_HEADER, String(hops));
	headers.set(PEER_HEADER, options.peerSecret);
	// The owner shows actor code the URL the client asked for (an app that builds links
	// from it gave out the owner's internal address).
	headers.set(FORWARDED_HOST_HEADER, options.entryHost ?? url.host);
	if (options.forwardedFor !== undefined) headers.set(FORWARDED_FOR_HEADER, options.forwardedFor);
	if (options.internal) headers.set(FORWARDED_INTERNAL_HEADER, "1");
	if (options.callDepth > 0) headers.set(CALL_DEPTH_HEADER, String(options.callDepth));
	if (options.requestId !== undefined) headers.set(PEER_REQUEST_ID_HEADER, options.requestId);
	injectTraceHeaders(headers);
	checkHeadSize(request.method, target, headers);
	const sent: Record<string, string> = {};
	headers.forEach((value, name) => {
		sent[name] = value;
	});
	const { request: peerRequest, peers } = await loadPeerHop();
	const answer = await peerRequest(target, {
		method: request.method as "GET",
		headers: sent,
		signal,
		...(body === undefined ? {} : { body }),
		dispatcher: peers,
	});
	const status = answer.statusCode;
	if (status < 200 || status > 599) {
		discard(answer.body);
		throw new Error(`the owner answered status ${status}`);
	}
	if (answer.headers[NOT_RUN_HEADER] === "1") {
		discard(answer.body);
		throw new NotRunError();
	}
	const replyNamed = connectionNamed(joined(answer.headers.connection));
	const out = new Headers();
	for (const [name, value] of Object.entries(answer.headers)) {
		if (value === undefined || !passesOn(name, replyNamed)) continue;
		// Each Set-Cookie stays its own header (joined, they cannot be told apart).
		for (const one of Array.isArray(value) ? value : [value]) out.append(name, one);
	}
	const empty = request.method === "HEAD" || NULL_BODY_STATUS.has(status);
	if (empty) discard(answer.body);
	return new Response(empty ? null : (Readable.toWeb(answer.body) as ReadableStream<Uint8Array>), {
		status,
		statusText: answer.statusText ?? "",
		headers: out,
	});
}

function joined(value: string | string[] | undefined): string | null {
	if (value === undefined) return null;
	return Array.isArray(value) ? value.join(",") : value;
}
