// The headers cluster nodes add to what they pass to each other. A client's
// own copies of them are stripped or ignored: they are trusted only on a
// request that proves the cluster secret in PEER_HEADER.

import { PEER_REQUEST_ID_HEADER } from "../common/request-id.js";

/** The header a cluster node proves itself with when it forwards a request. */
export const PEER_HEADER = "x-tenon-peer";
/** The original client's address on a forwarded request (trusted only with {@link PEER_HEADER}). */
export const FORWARDED_FOR_HEADER = "x-tenon-forwarded-for";
/**
 * The Host the client sent, on a forwarded request (trusted only with
 * {@link PEER_HEADER}): the owner shows it to actor code, not its own address.
 */
export const FORWARDED_HOST_HEADER = "x-tenon-forwarded-host";

/** A Host value as a forwarded request may carry it: a host name or address, and a port. */
export function forwardedHostOf(request: {
	readonly headers: { get(name: string): string | null };
}): string | undefined {
	const host = request.headers.get(FORWARDED_HOST_HEADER);
	return host !== null && /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host) ? host : undefined;
}

/**
 * On an owner's answer to a forwarded request: it refused the request without
 * running any of it (it is shutting down, or the actor is going to sleep), so
 * the node that forwarded it may send it again, to whichever node holds the
 * actor next. Read only on a peer's answer; never passed on to a client.
 */
export const NOT_RUN_HEADER = "x-tenon-not-run";

/** Marks a forwarded request that an actor made (trusted only with {@link PEER_HEADER}). */
export const FORWARDED_INTERNAL_HEADER = "x-tenon-internal";

/** Hop counter on forwarded requests: a request is forwarded at most {@link MAX_HOPS} times. */
export const HOPS_HEADER = "x-tenon-hops";

/** Times a request may be forwarded: once to the owner, once more if ownership just moved. */
export const MAX_HOPS = 2;

/**
 * How many times a peer's request was forwarded already (its
 * {@link HOPS_HEADER}; a malformed count reads as the most). Only for a
 * request that proved the cluster secret: a client's count is never read.
 */
export function hopsOf(request: {
	readonly headers: { get(name: string): string | null };
}): number {
	const hops = Number(request.headers.get(HOPS_HEADER) ?? "0");
	return Number.isInteger(hops) && hops >= 0 ? hops : MAX_HOPS;
}

/**
 * On an actor-to-actor call (`c.client()`): how many such calls lead to it
 * (1 for a call an actor made serving a client, 2 for one its callee made,
 * ...). Trusted only in-process and from a peer; a client's is not read.
 */
export const CALL_DEPTH_HEADER = "x-tenon-call-depth";

/**
 * The deepest chain of actor-to-actor calls: a deeper one is refused with
 * `actor/call_too_deep`. A cycle of calls (A calls B calls A, as a client can
 * set up through any "next" pointer it writes) otherwise grew until the
 * process ran out of memory (an attacker probe).
 */
export const MAX_CALL_DEPTH = 32;

/** The call depth a trusted request carries (0 without one; a malformed one reads as too deep). */
export function callDepthOf(request: {
	readonly headers: { get(name: string): string | null };
}): number {
	const raw = request.headers.get(CALL_DEPTH_HEADER);
	if (raw === null) return 0;
	const depth = Number(raw);
	return Number.isInteger(depth) && depth >= 0 ? depth : MAX_CALL_DEPTH + 1;
}

/** On a node's WebSocket to an actor's owner: the stored connection it links (see conn-links.ts). */
export const LINK_HEADER = "x-tenon-link";
/** On such a link: the node that holds the connection's socket. */
export const HOLDER_HEADER = "x-tenon-holder";

/** Every header above: never taken from a client, never shown to actor code. */
export const CLUSTER_HEADERS: readonly string[] = [
	PEER_HEADER,
	FORWARDED_FOR_HEADER,
	FORWARDED_HOST_HEADER,
	FORWARDED_INTERNAL_HEADER,
	HOPS_HEADER,
	LINK_HEADER,
	HOLDER_HEADER,
	CALL_DEPTH_HEADER,
	NOT_RUN_HEADER,
	PEER_REQUEST_ID_HEADER,
];
