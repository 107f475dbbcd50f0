// The headers cluster nodes add to what they pass to each other. A client's
// own copies of them are stripped or ignored: they are trusted only on a
// request that proves the cluster secret in PEER_HEADER.

/** The header a cluster node proves itself with when it forwards a request. */
export const PEER_HEADER = "x-tenon-peer";
/** The original client's address on a forwarded request (trusted only with {@link PEER_HEADER}). */
export const FORWARDED_FOR_HEADER = "x-tenon-forwarded-for";
/** Marks a forwarded request that an actor made (trusted only with {@link PEER_HEADER}). */
export const FORWARDED_INTERNAL_HEADER = "x-tenon-internal";

/** Hop counter on forwarded requests: a request is forwarded at most twice. */
export const HOPS_HEADER = "x-tenon-hops";

/** On a node's WebSocket to an actor's owner: the stored connection it links (see conn-links.ts). */
export const LINK_HEADER = "x-tenon-link";
/** On such a link: the node that holds the connection's socket. */
export const HOLDER_HEADER = "x-tenon-holder";

/** Every header above: never taken from a client, never shown to actor code. */
export const CLUSTER_HEADERS: readonly string[] = [
	PEER_HEADER,
	FORWARDED_FOR_HEADER,
	FORWARDED_INTERNAL_HEADER,
	HOPS_HEADER,
	LINK_HEADER,
	HOLDER_HEADER,
];
