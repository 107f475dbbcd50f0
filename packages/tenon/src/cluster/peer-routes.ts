import { ActorError, errors } from "../protocol/errors.js";
import type { ActorGateway } from "../runtime/actor-gateway.js";
import { ownerAddress } from "./forward.js";
import { PEER_HEADER } from "./headers.js";

/** Where nodes call each other (never served to clients). */
export const PEER_PREFIX = "/.tenon/peer/";
const LINK_ROUTE = /^\/\.tenon\/peer\/actors\/([A-Za-z0-9_-]{1,64})\/link$/;
/** Answered with 204 by every node: a peer asks it to learn that this node's HTTP server answers. */
export const PING_ROUTE = `${PEER_PREFIX}ping`;

/**
 * Route `path` of the node at `address`, under the base path every node of
 * the cluster shares; undefined when the address is no HTTP(S) URL.
 */
export function peerRoute(address: string, basePath: string, path: string): URL | undefined {
	const base = ownerAddress(address);
	if (base === undefined) return undefined;
	// Set on the address's origin, not resolved against it: a base path that began with `//`
	// named another host, and the cluster secret went there (a review, 2026-11-27).
	const route = new URL(base.origin);
	route.pathname = basePath === "/" ? path : `${basePath}${path}`;
	return route;
}

/**
 * `/.tenon/peer/*`: calls between the nodes of a cluster, only with the
 * cluster secret (the guard checked it when the header is there).
 *
 * - `POST /.tenon/peer/actors/{actorId}/link`: the actor woke on the caller
 *   (its owner), which stores connections whose sockets this node holds:
 *   link them to it, so its events reach them.
 * - `GET /.tenon/peer/ping`: 204 (see {@link PING_ROUTE}).
 */
export function handlePeerRoute(
	request: Request,
	path: string,
	actors: ActorGateway,
	trusted: boolean,
): Response | undefined {
	if (!path.startsWith(PEER_PREFIX)) return undefined;
	if (!trusted || request.headers.get(PEER_HEADER) === null || actors.cluster === undefined)
		throw new ActorError("auth", "forbidden", "Not a node of this cluster");
	if (path === PING_ROUTE) {
		if (request.method !== "GET") throw errors.methodNotAllowed(request.method, path);
		return new Response(null, { status: 204 });
	}
	const match = LINK_ROUTE.exec(path);
	if (match === null) throw errors.routeNotFound(request.method, path);
	if (request.method !== "POST") throw errors.methodNotAllowed(request.method, path);
	actors.linkHeld(match[1] as string);
	return new Response(null, { status: 204 });
}
