import { randomBytes } from "node:crypto";

/** The header a request id comes in and goes back out in. */
export const REQUEST_ID_HEADER = "x-request-id";
/**
 * The header a cluster node passes a request's id on to the owner in, so the
 * owner logs the call under the id the client gets back. Not `x-request-id`:
 * the owner's `onRequest` saw one the client never sent (an attacker probe,
 * 2026-11-27). One of the cluster's headers, which actor code never sees, and
 * taken only from a peer: a client's copy won over the `x-request-id` a proxy
 * in front had set (a probe, 2026-11-27).
 */
export const PEER_REQUEST_ID_HEADER = "x-tenon-request-id";

// A short safe token: it goes into log lines and a response header as is.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

// A random prefix per process and a counter: unique enough to find one request's
// lines, and far cheaper than a random id per request.
const prefix = randomBytes(6).toString("base64url");
let counter = 0;

/** A new request id, e.g. `Xy3_aZ9q-1f`. */
export function newRequestId(): string {
	counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
	return `${prefix}-${counter.toString(36)}`;
}

/**
 * The request id for an incoming request: its `x-tenon-request-id` when a peer
 * (`fromPeer`: it carried the cluster's secret) forwarded it, or else its
 * `x-request-id`, when that is a short safe token (1 to 64 of
 * `A-Z a-z 0-9 . _ : -`); else a new one.
 */
export function requestIdOf(
	headers: { get(name: string): string | null },
	fromPeer: boolean,
): string {
	const incoming =
		(fromPeer ? headers.get(PEER_REQUEST_ID_HEADER) : null) ?? headers.get(REQUEST_ID_HEADER);
	return incoming !== null && SAFE_REQUEST_ID.test(incoming) ? incoming : newRequestId();
}
