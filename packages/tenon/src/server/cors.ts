import type { RequestHead } from "./incoming.js";
import type { MutableHeaders } from "./reply.js";

/** Which browser origins may call the server (CORS). Off unless configured. */
export interface CorsOptions {
	/** `"*"`, one origin, a list, or a predicate. */
	origin: "*" | string | readonly string[] | ((origin: string) => boolean);
	/** Send `Access-Control-Allow-Credentials: true` (requires a specific origin, not `"*"`). */
	credentials?: boolean;
	/** Preflight cache lifetime in seconds. Default 600. */
	maxAge?: number;
}

const ALLOWED_HEADERS =
	"content-type, x-rivet-encoding, x-rivet-conn-params, x-rivet-token, x-request-id";
const ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS";

/** The value for `Access-Control-Allow-Origin` when `origin` is allowed, else undefined. */
export function allowedOrigin(options: CorsOptions, origin: string): string | undefined {
	const rule = options.origin;
	if (rule === "*") return options.credentials ? origin : "*";
	if (typeof rule === "string") return rule === origin ? origin : undefined;
	if (typeof rule === "function") return rule(origin) ? origin : undefined;
	return rule.includes(origin) ? origin : undefined;
}

/** The preflight answer, or undefined when `request` is not a CORS preflight. */
export function corsPreflight(
	options: CorsOptions | undefined,
	request: Request,
): Response | undefined {
	const origin = request.headers.get("origin");
	if (request.method !== "OPTIONS" || origin === null || options === undefined) return undefined;
	const allowed = allowedOrigin(options, origin);
	if (allowed === undefined) return new Response(null, { status: 403 });
	const headers = new Headers({
		"access-control-allow-origin": allowed,
		"access-control-allow-methods": ALLOWED_METHODS,
		"access-control-allow-headers":
			request.headers.get("access-control-request-headers") ?? ALLOWED_HEADERS,
		"access-control-max-age": String(options.maxAge ?? 600),
		vary: "origin",
	});
	if (options.credentials) headers.set("access-control-allow-credentials", "true");
	return new Response(null, { status: 204, headers });
}

/** Adds CORS headers to a response (a `Response` or a {@link Reply}) for an allowed origin. */
export function withCors<R extends { readonly headers: MutableHeaders }>(
	options: CorsOptions | undefined,
	request: RequestHead,
	response: R,
): R {
	const origin = request.headers.get("origin");
	if (options === undefined || origin === null) return response;
	const allowed = allowedOrigin(options, origin);
	if (allowed === undefined) return response;
	response.headers.set("access-control-allow-origin", allowed);
	response.headers.append("vary", "origin");
	// Browser code may read the request id (to quote it in a bug report).
	// Added to what an actor's own response exposes, not in place of it.
	const exposed = response.headers.get("access-control-expose-headers");
	if (exposed === null) response.headers.set("access-control-expose-headers", "x-request-id");
	else if (!/(^|[\s,])x-request-id($|[\s,])/i.test(exposed))
		response.headers.set("access-control-expose-headers", `${exposed}, x-request-id`);
	if (options.credentials) response.headers.set("access-control-allow-credentials", "true");
	return response;
}
