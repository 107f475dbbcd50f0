import { type Encoding, parseEncoding } from "../protocol/encoding.js";
import { ActorError, errors } from "../protocol/errors.js";
import type { Runtime } from "../runtime/runtime.js";
import { OwnedElsewhereError } from "../storage/interfaces.js";
import { actorUnavailable, hopsOf, serveOrForward } from "./cluster-forward.js";
import { ConnectionSession } from "./connection-session.js";
import { type CorsOptions, corsPreflight, withCors } from "./cors.js";
import { type GatewayRequest, parseGatewayRequest } from "./gateway.js";
import {
	handleAction,
	handleQueueSend,
	handleRawRequest,
	parseConnParams,
} from "./gateway-routes.js";
import { encodedResponse, errorResponse, readBodyLimited } from "./http-util.js";
import { handleInspector } from "./inspector-routes.js";
import { handleManagement } from "./management-routes.js";
import { RawWebSocketSession } from "./raw-websocket-session.js";
import { offeredProtocols, type UpgradeDecision } from "./websocket.js";

export { parseConnParams } from "./gateway-routes.js";

/** The Web-standard server: a fetch handler plus a WebSocket upgrade hook. */
export interface ServerCore {
	/** Serves one HTTP request. Never throws: errors become error responses. */
	fetch(request: Request): Promise<Response>;
	/** Decides what to do with a WebSocket upgrade request. */
	upgrade(request: Request): Promise<UpgradeDecision>;
}

/** Options of {@link createServerCore}. */
export interface ServerCoreOptions {
	/** Path prefix the server is mounted under (e.g. `/api/tenon`). Default `/`. */
	basePath?: string;
	/** Browser origins allowed to call the server. Default: none (no CORS headers). */
	cors?: CorsOptions;
	/** Bearer token for `/inspector/*`. Default: none (the inspector is disabled). */
	inspectorToken?: string;
}

const PROTOCOL_STANDARD = "rivet";
const PROTOCOL_ENCODING = "rivet_encoding.";
const PROTOCOL_CONN_PARAMS = "rivet_conn_params.";

function stripBasePath(pathname: string, basePath: string): string | undefined {
	if (basePath === "/") return pathname;
	if (pathname === basePath) return "/";
	if (pathname.startsWith(`${basePath}/`)) return pathname.slice(basePath.length);
	return undefined;
}

function normalizeBasePath(basePath: string | undefined): string {
	if (basePath === undefined || basePath === "" || basePath === "/") return "/";
	const withSlash = basePath.startsWith("/") ? basePath : `/${basePath}`;
	return withSlash.endsWith("/") ? withSlash.slice(0, -1) : withSlash;
}

function isRawPath(path: string, route: "/request" | "/websocket"): boolean {
	return path === route || path.startsWith(`${route}/`);
}

/** Params and encoding a WebSocket carries in its sub-protocols. */
function socketOptions(
	protocols: string[],
	url: URL,
	runtime: Runtime,
): { encoding: Encoding; params: unknown } {
	const encodingProtocol = protocols.find((p) => p.startsWith(PROTOCOL_ENCODING));
	const encoding = parseEncoding(
		encodingProtocol?.slice(PROTOCOL_ENCODING.length) ?? url.searchParams.get("encoding"),
	);
	const paramsProtocol = protocols.find((p) => p.startsWith(PROTOCOL_CONN_PARAMS));
	let params: unknown;
	if (paramsProtocol !== undefined) {
		let raw: string;
		try {
			raw = decodeURIComponent(paramsProtocol.slice(PROTOCOL_CONN_PARAMS.length));
		} catch {
			throw errors.connParamsInvalid("not valid URL encoding");
		}
		params = parseConnParams(raw, runtime.limits);
	}
	return { encoding, params };
}

/** Creates the server core over a running {@link Runtime}. */
export function createServerCore(runtime: Runtime, options: ServerCoreOptions = {}): ServerCore {
	const basePath = normalizeBasePath(options.basePath);
	const limits = runtime.limits;

	const logIfInternal = (error: unknown, request: Request) => {
		if (!(error instanceof ActorError)) {
			runtime.logger.error("request failed", { method: request.method, url: request.url, error });
		}
	};

	async function handleGateway(
		request: Request,
		gateway: GatewayRequest,
		encoding: Encoding,
	): Promise<Response> {
		const path = gateway.path;
		if (path.startsWith("/action/")) return handleAction(runtime, request, gateway, encoding);
		if (path.startsWith("/queue/")) return handleQueueSend(runtime, request, gateway, encoding);
		if (isRawPath(path, "/request")) return handleRawRequest(runtime, request, gateway);
		if (path === "/connect" || isRawPath(path, "/websocket")) {
			return encodedResponse(
				encoding,
				{
					group: "request",
					code: "upgrade_required",
					message: `${path} needs a WebSocket upgrade`,
				},
				426,
			);
		}
		throw errors.routeNotFound(request.method, `/gateway/.../${path.replace(/^\//, "")}`);
	}

	async function serve(request: Request): Promise<Response> {
		let encoding: Encoding = "json";
		try {
			const url = new URL(request.url);
			const path = stripBasePath(url.pathname, basePath);
			if (path === undefined) throw errors.routeNotFound(request.method, url.pathname);
			const gateway = parseGatewayRequest(path, url.searchParams, limits);
			if (gateway) {
				encoding = parseEncoding(request.headers.get("x-rivet-encoding"));
				const cluster = runtime.cluster;
				if (cluster) {
					// Buffered, so the request can go to the owner node (and again if it died).
					const body =
						request.method === "GET" || request.method === "HEAD"
							? undefined
							: await readBodyLimited(request, limits.maxHttpBodyBytes);
					const chosen = encoding;
					return await serveOrForward(request, body, cluster.leaseTtlMs, (local) =>
						handleGateway(local, gateway, chosen),
					);
				}
				return await handleGateway(request, gateway, encoding);
			}
			const inspected = await handleInspector(request, path, runtime, options.inspectorToken);
			if (inspected) return inspected;
			const response = await handleManagement(request, url, path, runtime);
			if (response) return response;
			throw errors.routeNotFound(request.method, path);
		} catch (error) {
			logIfInternal(error, request);
			return errorResponse(error, encoding, runtime.exposeInternalErrors);
		}
	}

	async function fetch(request: Request): Promise<Response> {
		const preflight = corsPreflight(options.cors, request);
		if (preflight) return preflight;
		return withCors(options.cors, request, await serve(request));
	}

	async function upgrade(request: Request): Promise<UpgradeDecision> {
		const url = new URL(request.url);
		const path = stripBasePath(url.pathname, basePath);
		let gateway: GatewayRequest | undefined;
		let earlyError: unknown;
		try {
			gateway =
				path === undefined ? undefined : parseGatewayRequest(path, url.searchParams, limits);
		} catch (error) {
			earlyError = error;
		}
		const kind =
			gateway === undefined
				? undefined
				: gateway.path === "/connect"
					? "connect"
					: isRawPath(gateway.path, "/websocket")
						? "raw"
						: undefined;
		if (earlyError === undefined && kind === undefined) {
			return {
				kind: "reject",
				response: errorResponse(
					errors.routeNotFound("GET", url.pathname),
					"json",
					runtime.exposeInternalErrors,
				),
			};
		}
		const protocols = offeredProtocols(request.headers.get("sec-websocket-protocol"));
		let encoding: Encoding = "json";
		let params: unknown;
		try {
			({ encoding, params } = socketOptions(protocols, url, runtime));
		} catch (error) {
			earlyError ??= error;
		}
		const cluster = runtime.cluster;
		if (cluster && earlyError === undefined && gateway !== undefined) {
			// Connect where the actor lives: here (waking it), or pass through to its owner.
			try {
				await runtime.host.instanceForTarget(gateway.namespace, gateway.target);
			} catch (error) {
				if (error instanceof OwnedElsewhereError) {
					const hops = hopsOf(request);
					if (hops >= 2) earlyError = actorUnavailable("its ownership kept moving");
					else {
						return {
							kind: "proxy",
							address: error.owner.address,
							hops: hops + 1,
							retryUntil: Date.now() + cluster.leaseTtlMs + 2_000,
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
		return {
			kind: "accept",
			protocol: selected,
			maxMessageBytes: limits.maxIncomingMessageBytes,
			open(socket) {
				// Rejections still accept the upgrade, then close with a code and a
				// `group.code` reason, so browsers (which cannot read an HTTP error
				// on a failed upgrade) learn why.
				if (kind === "raw") {
					const session = new RawWebSocketSession(runtime, socket);
					if (earlyError !== undefined) session.reject(earlyError);
					else {
						const target = gateway as GatewayRequest;
						const query = target.query.toString();
						const rawUrl = `${target.path.slice("/websocket".length) || "/"}${query ? `?${query}` : ""}`;
						session.start(target, rawUrl, params);
					}
					return session;
				}
				const session = new ConnectionSession(runtime, socket, encoding);
				if (earlyError !== undefined) session.reject(earlyError);
				else session.start(gateway as GatewayRequest, params);
				return session;
			},
		};
	}

	return { fetch, upgrade };
}
