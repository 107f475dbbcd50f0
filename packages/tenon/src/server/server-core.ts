import { actorUnavailable, refusedUnrun, serveOrForward } from "../cluster/forward.js";
import { NOT_RUN_HEADER } from "../cluster/headers.js";
import { peerAlive } from "../cluster/peer-liveness.js";
import { handlePeerRoute } from "../cluster/peer-routes.js";
import { isClientGone } from "../common/client-gone.js";
import { loggableUrl } from "../common/log-format.js";
import { moduleLogger } from "../common/logger.js";
import { requestIdOf } from "../common/request-id.js";
import { traceGatewayRequest } from "../observability/gateway-spans.js";
import type { MetricsExposition } from "../observability/metrics.js";
import { type Encoding, requestEncoding } from "../protocol/encoding.js";
import { ActorError, errors } from "../protocol/errors.js";
import type { ActorGateway, Caller } from "../runtime/actor-gateway.js";
import { OwnedElsewhereError } from "../storage/interfaces.js";
import { type AccessOptions, AccessPolicy, presentedCredential } from "./access.js";
import { createActionRoute, isActionPath } from "./action-route.js";
import { isProbe, normalizeBasePath, stripBasePath } from "./base-path.js";
import { bodyAfterAnswer, withStreamedBody } from "./body-after-answer.js";
import { BrowserGuard } from "./browser-guard.js";
import { type ClientInfo, callerRequest, type OnBehalfOf } from "./caller-request.js";
import { type CorsOptions, corsPreflight, withCors } from "./cors.js";
import { AddressDecodeTime } from "./decode-time.js";
import { callerClientOf, type FallbackHandler } from "./fallback.js";
import { type GatewayRequest, parseGatewayRequest, protocolBody } from "./gateway.js";
import {
	actionCallOf,
	checkDeclaredQueueSend,
	type GatewayCall,
	handleAction,
	handleQueueSend,
	handleRawRequest,
	parseConnParams,
} from "./gateway-routes.js";
import { BodyReader, bodyResponse, errorResponse, webBody, withRequestId } from "./http-util.js";
import type { IncomingCall, IncomingUpgrade, RequestHead } from "./incoming.js";
import { handleInspector } from "./inspector-routes.js";
import { handleManagement, type ManagementContext } from "./management-routes.js";
import { handleMetrics } from "./metrics-route.js";
import { QueryBudget } from "./query-budget.js";
import { addressKey } from "./rate-limit.js";
import { type Reply, replyResponse } from "./reply.js";
import {
	type Admitted,
	DEFAULT_RATE_LIMITS,
	type RateLimitOptions,
	RequestGuard,
} from "./request-guard.js";
import { createUpgradeHandler } from "./upgrade.js";
import type { UpgradeDecision } from "./websocket.js";

export type { ClientInfo } from "./caller-request.js";
export type { FallbackHandler, FallbackInfo } from "./fallback.js";
export { parseConnParams } from "./gateway-routes.js";

/** The Web-standard server: a fetch handler plus a WebSocket upgrade hook. */
export interface ServerCore {
	/**
	 * Serves one HTTP request. Never throws: errors become error responses.
	 * `client` carries what the transport knows (the peer address).
	 */
	fetch(request: Request, client?: ClientInfo): Promise<Response>;
	/**
	 * Decides what to do with a WebSocket upgrade request: a Web `Request`,
	 * or (the Node adapter) its head and headers without one.
	 */
	upgrade(request: Request | IncomingUpgrade, client?: ClientInfo): Promise<UpgradeDecision>;
	/**
	 * Serves an action call (`POST .../gateway/{actor}/action/{name}`) read by
	 * an adapter that does not build a Web `Request` (the Node adapter): the
	 * same code `fetch` runs for it. `url` is the request's parsed URL. Returns
	 * undefined, having read nothing, for any other request, and for every
	 * request when this node forwards calls to others (cluster mode): serve
	 * those through `fetch`. Never rejects: errors become error replies.
	 */
	serveAction(call: IncomingCall, url: URL, client?: ClientInfo): Promise<Reply> | undefined;
	/**
	 * What a client at `address` counts under in per-address limits (its IPv4
	 * address, or its IPv6 /64), or undefined where they do not apply (an
	 * unknown address, loopback unless `rateLimits.limitLoopback`).
	 */
	limitKey(address: string | undefined): string | undefined;
}

/** Options of {@link createServerCore}. */
export interface ServerCoreOptions {
	/** Path prefix the server is mounted under (e.g. `/api/tenon`). Default `/`. */
	basePath?: string;
	/** Browser origins allowed to call the server (CORS). Default: none (same origin only). */
	cors?: CorsOptions;
	/** Admin, inspector and client tokens (see docs/security.md). */
	access?: AccessOptions;
	/** Host names the server answers to (`Host` header). Default: any. */
	allowedHosts?: readonly string[];
	/** With `allowedHosts`: also answer to any IP address (see BrowserGuard). */
	allowIpHosts?: boolean;
	/** Per-address and per-connection rate limits. */
	rateLimits?: RateLimitOptions;
	/**
	 * Requests no Tenon route answers go here (static files, a login page):
	 * a Response, or undefined for 404. They pass the same Host, rate and
	 * (for methods other than GET/HEAD/OPTIONS) Origin checks first.
	 */
	fallback?: FallbackHandler;
	/** What `GET /metrics` serves; undefined: metrics are turned off. */
	metrics?: MetricsExposition;
	/** Makes the in-process client of a fallback's caller (`FallbackInfo.callerClient`). */
	callerClient?: (onBehalfOf: OnBehalfOf) => unknown;
}

function isRawPath(path: string, route: "/request" | "/websocket"): boolean {
	return path === route || path.startsWith(`${route}/`);
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Creates the server core over a running {@link Runtime}. */
export function createServerCore(
	actors: ActorGateway,
	options: ServerCoreOptions = {},
): ServerCore {
	const basePath = normalizeBasePath(options.basePath);
	const limits = actors.limits;
	const access = new AccessPolicy(options.access ?? {});
	// The SQL console's share of the loop, for the whole server (query-budget.ts).
	const queries = new QueryBudget();
	const guard = new RequestGuard(
		new BrowserGuard({
			allowedHosts: options.allowedHosts,
			allowIpHosts: options.allowIpHosts,
			cors: options.cors,
		}),
		() => actors.cluster?.peerSecret,
		options.rateLimits,
	);
	const bodies = new BodyReader(limits);
	// Decode time per client address, for WebSocket frames and HTTP bodies alike.
	const addressDecode = new AddressDecodeTime(
		guard,
		options.rateLimits?.decodeTime?.perAddress ?? DEFAULT_RATE_LIMITS.decodeTime.perAddress,
		limits.maxConnections,
	);
	// A body's decode time goes to its client's address, through a cluster hop too (keyed like
	// the body slots, a body sent through another node was charged nowhere: a review, 2026-11-27).
	const decodeBudget = (admitted: Admitted) =>
		admitted.internal ? undefined : addressDecode.budget(admitted.remoteAddress);
	/** The address a request's body counts against (when per-address limits apply to it). */
	const bodyAddress = (admitted: Admitted) =>
		admitted.trusted ? undefined : guard.limitKey(admitted.remoteAddress);
	/** Reads bodies counting against the caller's address, held until `admitted`'s request is answered. */
	const bodyReaderFor = (admitted: Admitted) => {
		const address = bodyAddress(admitted);
		return (request: Request) => bodies.read(request, address, admitted);
	};

	const log = moduleLogger(actors.logger, "server");
	const logIfInternal = (error: unknown, request: RequestHead, requestId: string) => {
		if (!(error instanceof ActorError)) {
			// Without its tokens (`/gateway/{id}@{token}`, `rvt-token`) or any query value.
			const fields = { requestId, method: request.method, url: loggableUrl(request.url), error };
			if (isClientGone(error)) log.debug("the client went away mid-request", fields);
			else log.error("request failed", fields);
		}
	};

	/** Who calls: params from `x-rivet-conn-params`, the request as hooks see it, and its id. */
	const callerFrom = (
		head: RequestHead,
		webHeaders: () => Headers,
		admitted: Admitted,
		token: string | undefined,
		requestId?: string,
	): Caller => ({
		params: parseConnParams(head.headers.get("x-rivet-conn-params"), limits),
		request: callerRequest(
			head,
			admitted.remoteAddress,
			token,
			admitted.internal,
			webHeaders,
			admitted.callDepth,
			admitted.forwardedHost,
		),
		...(requestId === undefined ? {} : { requestId }),
	});
	const callerOf = (
		request: Request,
		admitted: Admitted,
		token: string | undefined,
		requestId?: string,
	): Caller => callerFrom(request, () => request.headers, admitted, token, requestId);

	const actionRoute = createActionRoute({
		actors,
		guard,
		access,
		cors: options.cors,
		bodies,
		bodyAddress,
		decodeBudget,
		callerOf: callerFrom,
		logIfInternal,
	});

	/** The path under the base path when `url` is an action call this node serves itself. */
	const actionPathOf = (method: string, url: URL): string | undefined => {
		if (method !== "POST" || actors.cluster !== undefined) return undefined;
		const path = stripBasePath(url.pathname, basePath);
		return path !== undefined && isActionPath(path) ? path : undefined;
	};

	const serveAction = (
		call: IncomingCall,
		url: URL,
		client?: ClientInfo,
	): Promise<Reply> | undefined => {
		const path = actionPathOf(call.head.method, url);
		return path === undefined ? undefined : actionRoute(call, url, path, client);
	};

	async function handleGateway(call: GatewayCall): Promise<Response> {
		const path = call.gateway.path;
		if (path.startsWith("/action/")) {
			// Only in a cluster (served here, or forwarded by a peer): a node
			// serving its own calls answers them through the action route.
			return bodyResponse(call.encoding, await handleAction(actors, actionCallOf(call)));
		}
		if (path.startsWith("/queue/")) return handleQueueSend(actors, call);
		if (isRawPath(path, "/request")) return handleRawRequest(actors, call);
		if (path === "/connect" || isRawPath(path, "/websocket")) {
			throw new ActorError("request", "upgrade_required", `${path} needs a WebSocket upgrade`);
		}
		throw errors.routeNotFound(call.request.method, `/gateway/.../${path.replace(/^\//, "")}`);
	}

	async function serveGateway(
		request: Request,
		gateway: GatewayRequest,
		admitted: Admitted,
		requestId: string,
	): Promise<Response> {
		const encoding: Encoding = requestEncoding(request.headers, protocolBody(gateway.path));
		if (!SAFE_METHODS.has(request.method)) guard.checkStateChange(request, admitted);
		else if (gateway.target.kind === "key" && gateway.target.method === "getOrCreate")
			guard.checkCreation(request, admitted);
		const path = gateway.path;
		if (path.startsWith("/action/") || path.startsWith("/queue/")) guard.checkContentType(request);
		if (path.startsWith("/queue/")) checkDeclaredQueueSend(actors, request.headers);
		const token = gateway.token ?? presentedCredential(request);
		access.checkClient(token, admitted.internal);
		const caller = callerOf(request, admitted, token, requestId);
		const readBody = bodyReaderFor(admitted);
		const address = bodyAddress(admitted);
		const streamBody = (body: ReadableStream<Uint8Array>) => bodies.stream(body, address);
		const call = {
			gateway,
			encoding,
			caller,
			readBody,
			streamBody,
			decodeBudget: decodeBudget(admitted),
		};
		if (actors.cluster) {
			return await servedByOwner(request, admitted, requestId, (local) =>
				handleGateway({ ...call, request: local }),
			);
		}
		return await handleGateway({ ...call, request });
	}

	/**
	 * In a cluster: serves `request` here, or forwards it to the node that owns
	 * its actor (when `serve` throws OwnedElsewhereError), its body buffered so
	 * that it can go there (and again if that node died).
	 */
	async function servedByOwner(
		request: Request,
		admitted: Admitted,
		requestId: string,
		serve: (local: Request) => Promise<Response>,
	): Promise<Response> {
		const cluster = actors.cluster;
		if (!cluster) return await serve(request);
		const body = SAFE_METHODS.has(request.method)
			? undefined
			: await bodyReaderFor(admitted)(request);
		const forwarding = {
			leaseTtlMs: cluster.leaseTtlMs,
			peerSecret: cluster.peerSecret,
			forwardedFor: admitted.remoteAddress,
			internal: admitted.internal,
			requestId,
			hops: admitted.hops,
			callDepth: admitted.callDepth,
			entryHost: admitted.forwardedHost,
			ownerAlive: (nodeId: string, address?: string) =>
				peerAlive(cluster, basePath, nodeId, address),
		};
		return await serveOrForward(request, body, forwarding, serve);
	}

	function managementContext(admitted: Admitted, requestId: string): ManagementContext {
		return {
			access,
			checkClient: (request) => access.checkClient(presentedCredential(request), admitted.internal),
			checkStateChange: (request) => {
				guard.checkStateChange(request, admitted);
				guard.checkContentType(request);
			},
			caller: (request) => callerOf(request, admitted, presentedCredential(request), requestId),
			readBody: bodyReaderFor(admitted),
			decodeBudget: decodeBudget(admitted),
			remoteAddress: admitted.remoteAddress,
		};
	}

	/** A request no Tenon route answers: the fallback's, or 404. */
	async function notTenon(request: Request, admitted: Admitted, path: string): Promise<Response> {
		if (options.fallback !== undefined) {
			if (!SAFE_METHODS.has(request.method)) guard.checkStateChange(request, admitted);
			const remoteAddress = admitted.remoteAddress;
			// Its body within the body limits, as every route's: the fallback (an MCP endpoint
			// among them) read bodies with no slot and no rate floor (an audit, 2026-11-27).
			const address = bodyAddress(admitted);
			const streamed = withStreamedBody(
				request,
				(body) => bodies.stream(body, address),
				limits.maxHttpBodyBytes,
			);
			let response: Response | undefined;
			const caller = callerClientOf(options.callerClient, remoteAddress);
			try {
				response = await options.fallback(streamed.request, {
					remoteAddress,
					clientKey: remoteAddress === undefined ? undefined : addressKey(remoteAddress),
					decodeTime: decodeBudget(admitted),
					callerClient: caller.callerClient,
				});
			} catch (error) {
				streamed.body?.abandon();
				throw error;
			} finally {
				await caller.dispose();
			}
			if (response !== undefined) return bodyAfterAnswer(response, streamed.body);
			streamed.body?.abandon();
		}
		throw errors.routeNotFound(request.method, path);
	}

	async function serve(request: Request, admitted: Admitted, requestId: string): Promise<Response> {
		let encoding: Encoding = "json";
		try {
			const url = new URL(request.url);
			const path = stripBasePath(url.pathname, basePath);
			if (path === undefined) return await notTenon(request, admitted, url.pathname);
			const peer = handlePeerRoute(request, path, actors, admitted.trusted);
			if (peer) return peer;
			const gateway = parseGatewayRequest(path, url, limits);
			if (gateway) {
				encoding = requestEncoding(request.headers, protocolBody(gateway.path));
				return await traceGatewayRequest(request, gateway, actors.known, () =>
					serveGateway(request, gateway, admitted, requestId),
				);
			}
			const measured = await handleMetrics(request, path, access, options.metrics);
			if (measured) return measured;
			// What changes one actor (destroying it, an inspector's edit) runs where it is
			// awake: through another node it failed with core/internal_error (a review,
			// 2026-11-26).
			if (actors.cluster && !SAFE_METHODS.has(request.method) && changesOneActor(path)) {
				return await servedByOwner(request, admitted, requestId, (local) =>
					serveOperator(local, url, path, admitted, requestId),
				);
			}
			return await serveOperator(request, url, path, admitted, requestId);
		} catch (caught) {
			// A read of an actor awake on another node (not forwarded): not this node's to answer.
			const error =
				caught instanceof OwnedElsewhereError
					? actorUnavailable(`it is awake on node ${caught.owner.nodeId}`)
					: caught;
			logIfInternal(error, request, requestId);
			actors.requestFailed(error);
			const response = errorResponse(error, encoding, actors.exposeInternalErrors);
			// Forwarded, and refused before any of it ran: the node it came through sends it again.
			if (admitted.hops > 0 && refusedUnrun(error)) response.headers.set(NOT_RUN_HEADER, "1");
			return response;
		} finally {
			bodies.letGo(admitted); // Answered: the bodies it read count no longer (held-bodies.ts).
		}
	}

	/** The inspector's and the management API's routes, then the fallback's. */
	async function serveOperator(
		request: Request,
		url: URL,
		path: string,
		admitted: Admitted,
		requestId: string,
	): Promise<Response> {
		{
			const inspected = await handleInspector(request, path, actors, {
				access,
				readBody: bodyReaderFor(admitted),
				checkStateChange: (checked) => {
					guard.checkStateChange(checked, admitted);
					guard.checkContentType(checked);
				},
				caller: (called) => callerOf(called, admitted, undefined, requestId),
				remoteAddress: admitted.remoteAddress,
				// A peer's request too: it carries the client's address (the stream slots are the owner's).
				addressKey: guard.limitKey(admitted.remoteAddress),
				queries,
			});
			if (inspected) return inspected;
			const response = await handleManagement(
				request,
				url,
				path,
				actors,
				managementContext(admitted, requestId),
			);
			if (response) return response;
			return await notTenon(request, admitted, path);
		}
	}

	async function fetch(request: Request, client?: ClientInfo): Promise<Response> {
		if (request.method === "POST") {
			const url = new URL(request.url);
			const path = actionPathOf(request.method, url);
			if (path !== undefined) {
				const call: IncomingCall = {
					head: request,
					body: request.body === null ? null : webBody(request),
					webHeaders: () => request.headers,
				};
				return replyResponse(await actionRoute(call, url, path, client));
			}
		}
		let admitted: Admitted;
		try {
			// Health and readiness probes spend no rate: behind a load balancer every client has
			// its address, and past the limit the probes were answered 429, so the node was taken
			// out of rotation or restarted for its clients' load (an SRE walkthrough, 2026-11-29).
			admitted = isProbe(request, basePath)
				? guard.admitProbe(request, client)
				: guard.admit(request, client);
		} catch (error) {
			actors.requestFailed(error);
			const refused = errorResponse(error, "json", actors.exposeInternalErrors);
			return withRequestId(refused, requestIdOf(request.headers, false));
		}
		const requestId = requestIdOf(request.headers, admitted.trusted);
		const preflight = corsPreflight(options.cors, request);
		if (preflight) return withRequestId(preflight, requestId);
		// withRequestId copies a response whose headers are read-only (Response.redirect, a
		// proxied fetch), so the CORS headers go on a copy that takes them.
		const response = withRequestId(await serve(request, admitted, requestId), requestId);
		return withCors(options.cors, request, response);
	}

	const upgrade = createUpgradeHandler(actors, {
		basePath,
		stripBasePath,
		guard,
		access,
		callerOf: callerFrom,
		perConnection: options.rateLimits?.perConnection ?? DEFAULT_RATE_LIMITS.perConnection,
		decodeTime: {
			perConnection:
				options.rateLimits?.decodeTime?.perConnection ??
				DEFAULT_RATE_LIMITS.decodeTime.perConnection,
			perAddress: addressDecode,
		},
		held: bodies.held,
	});

	return { fetch, upgrade, serveAction, limitKey: (address) => guard.limitKey(address) };
}

/** Routes that change one actor: the management API's `/actors/{id}`, the inspector's `/inspector/actors/{id}/...`. */
function changesOneActor(path: string): boolean {
	return path.startsWith("/actors/") || path.startsWith("/inspector/actors/");
}
