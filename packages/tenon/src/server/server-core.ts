import { utf8Length } from "../protocol/bytes.js";
import {
	decodeValue,
	type Encoding,
	encodedLength,
	encodeValue,
	parseEncoding,
} from "../protocol/encoding.js";
import { ActorError, errors } from "../protocol/errors.js";
import type { Limits } from "../protocol/limits.js";
import type { Runtime } from "../runtime/runtime.js";
import { ConnectionSession } from "./connection-session.js";
import { type CorsOptions, corsPreflight, withCors } from "./cors.js";
import { type GatewayRequest, parseGatewayRequest } from "./gateway.js";
import { encodedResponse, errorResponse, readBodyLimited } from "./http-util.js";
import { handleManagement } from "./management-routes.js";
import { offeredProtocols, type UpgradeDecision } from "./websocket.js";

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
}

const PROTOCOL_STANDARD = "rivet";
const PROTOCOL_ENCODING = "rivet_encoding.";
const PROTOCOL_CONN_PARAMS = "rivet_conn_params.";

/** Parses connection params (JSON), enforcing the size limit. */
export function parseConnParams(raw: string | null | undefined, limits: Limits): unknown {
	if (raw === null || raw === undefined || raw === "") return undefined;
	if (utf8Length(raw) > limits.maxConnParamsBytes)
		throw errors.connParamsTooLong(limits.maxConnParamsBytes);
	try {
		return JSON.parse(raw);
	} catch (error) {
		throw errors.connParamsInvalid(error instanceof Error ? error.message : String(error));
	}
}

function stripBasePath(pathname: string, basePath: string): string | undefined {
	if (basePath === "/" || basePath === "") return pathname;
	if (pathname === basePath) return "/";
	if (pathname.startsWith(`${basePath}/`)) return pathname.slice(basePath.length);
	return undefined;
}

function normalizeBasePath(basePath: string | undefined): string {
	if (basePath === undefined || basePath === "" || basePath === "/") return "/";
	const withSlash = basePath.startsWith("/") ? basePath : `/${basePath}`;
	return withSlash.endsWith("/") ? withSlash.slice(0, -1) : withSlash;
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

	async function handleAction(
		request: Request,
		gateway: GatewayRequest,
		encoding: Encoding,
	): Promise<Response> {
		if (request.method !== "POST") throw errors.methodNotAllowed(request.method, gateway.path);
		let name: string;
		try {
			name = decodeURIComponent(gateway.path.slice("/action/".length));
		} catch {
			throw errors.invalid("the action name is not valid URL encoding");
		}
		if (name === "") throw errors.invalid("missing action name");
		if (utf8Length(name) > limits.maxNameBytes)
			throw errors.invalid(`action name exceeds ${limits.maxNameBytes} bytes`);
		const params = parseConnParams(request.headers.get("x-rivet-conn-params"), limits);
		const raw = await readBodyLimited(request, limits.maxHttpBodyBytes);
		const body = raw.byteLength === 0 ? {} : decodeValue(encoding, raw);
		if (typeof body !== "object" || body === null || Array.isArray(body)) {
			throw errors.invalid("the body must be an object { args: [...] }");
		}
		const args = (body as { args?: unknown }).args ?? [];
		if (!Array.isArray(args)) throw errors.invalid("'args' must be an array");
		const output = await callAction(gateway, name, args, params);
		const encoded = encodeValue(encoding, { output });
		if (encodedLength(encoded) > limits.maxHttpBodyBytes) {
			throw errors.outgoingTooLong(`The response of '${name}'`, limits.maxHttpBodyBytes);
		}
		return encodedResponse(encoding, { output });
	}

	/**
	 * Runs an HTTP action. If the actor began to sleep between lookup and call
	 * (`actor/stopping`: it refused the call before running anything), the call
	 * is retried once on the freshly woken actor.
	 */
	async function callAction(
		gateway: GatewayRequest,
		name: string,
		args: unknown[],
		params: unknown,
	): Promise<unknown> {
		for (let attempt = 0; ; attempt++) {
			const instance = await runtime.host.instanceForTarget(gateway.namespace, gateway.target);
			try {
				return await instance.httpAction(name, args, params);
			} catch (error) {
				const refusedBeforeRunning =
					error instanceof ActorError && error.group === "actor" && error.code === "stopping";
				if (!refusedBeforeRunning || attempt > 0) throw error;
				await instance.stopped;
			}
		}
	}

	async function handleGateway(
		request: Request,
		gateway: GatewayRequest,
		encoding: Encoding,
	): Promise<Response> {
		const path = gateway.path;
		if (path.startsWith("/action/")) return handleAction(request, gateway, encoding);
		if (path === "/connect") {
			return encodedResponse(
				encoding,
				{
					group: "request",
					code: "upgrade_required",
					message: "/connect needs a WebSocket upgrade",
				},
				426,
			);
		}
		throw errors.routeNotFound(request.method, `/gateway/.../${path.replace(/^\//, "")}`);
	}

	async function fetch(request: Request): Promise<Response> {
		const preflight = corsPreflight(options.cors, request);
		if (preflight) return preflight;
		return withCors(options.cors, request, await serve(request));
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
				return await handleGateway(request, gateway, encoding);
			}
			const response = await handleManagement(request, url, path, runtime);
			if (response) return response;
			throw errors.routeNotFound(request.method, path);
		} catch (error) {
			logIfInternal(error, request);
			return errorResponse(error, encoding, runtime.exposeInternalErrors);
		}
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
		if (earlyError === undefined && (gateway === undefined || gateway.path !== "/connect")) {
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
			const encodingProtocol = protocols.find((p) => p.startsWith(PROTOCOL_ENCODING));
			encoding = parseEncoding(
				encodingProtocol?.slice(PROTOCOL_ENCODING.length) ?? url.searchParams.get("encoding"),
			);
			const paramsProtocol = protocols.find((p) => p.startsWith(PROTOCOL_CONN_PARAMS));
			if (paramsProtocol !== undefined) {
				let raw: string;
				try {
					raw = decodeURIComponent(paramsProtocol.slice(PROTOCOL_CONN_PARAMS.length));
				} catch {
					throw errors.connParamsInvalid("not valid URL encoding");
				}
				params = parseConnParams(raw, limits);
			}
		} catch (error) {
			earlyError ??= error;
		}
		const selected = protocols.includes(PROTOCOL_STANDARD) ? PROTOCOL_STANDARD : protocols[0];
		return {
			kind: "accept",
			protocol: selected,
			maxMessageBytes: limits.maxIncomingMessageBytes,
			open(socket) {
				const session = new ConnectionSession(runtime, socket, encoding);
				// Rejections still accept the upgrade, then close with a code and a
				// `group.code` reason, so browsers (which cannot read an HTTP error
				// on a failed upgrade) learn why.
				if (earlyError !== undefined) session.reject(earlyError);
				else session.start(gateway as GatewayRequest, params);
				return session;
			},
		};
	}

	return { fetch, upgrade };
}
