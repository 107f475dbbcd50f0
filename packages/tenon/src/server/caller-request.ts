import type { CallerRequest } from "../actor/context.js";
import { CLUSTER_HEADERS } from "../cluster/headers.js";
import { readOnlyHeaders } from "../common/read-only-headers.js";
import type { RequestHead } from "./incoming.js";

/**
 * What the transport knows about a request that the request itself does not
 * carry. Adapters provide it; nothing in it comes from the client.
 */
export interface ClientInfo {
	/** The peer's IP address (the TCP connection's remote address). */
	remoteAddress?: string | undefined;
	/**
	 * True for requests from inside this process (actor-to-actor calls through
	 * `c.client()`): no network, so no Host, Origin or rate checks apply.
	 */
	inProcess?: boolean;
}

/** Parses a `Cookie` header (`a=1; b=2`); the first value of a name wins. */
export function parseCookies(header: string | null): Record<string, string> {
	const cookies: Record<string, string> = Object.create(null);
	if (header === null) return cookies;
	for (const part of header.split(";")) {
		const eq = part.indexOf("=");
		if (eq <= 0) continue;
		const name = part.slice(0, eq).trim();
		if (name === "" || name in cookies) continue;
		let value = part.slice(eq + 1).trim();
		if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
			value = value.slice(1, -1);
		try {
			cookies[name] = decodeURIComponent(value);
		} catch {
			cookies[name] = value;
		}
	}
	return cookies;
}

/**
 * Builds what hooks see of a request (see {@link CallerRequest}). The headers
 * and cookies are copied on first use: most calls never read them.
 * `webHeaders` gives all headers as Web `Headers` (a Web `Request`'s own;
 * the Node adapter builds them only then).
 */
export function callerRequest(
	request: RequestHead,
	remoteAddress: string | undefined,
	token: string | undefined,
	internal: boolean,
	webHeaders: () => Headers,
): CallerRequest {
	let headers: Headers | undefined;
	let cookies: Record<string, string> | undefined;
	return {
		method: request.method,
		url: request.url,
		get headers() {
			headers ??= readOnlyHeaders(webHeaders(), CLUSTER_HEADERS);
			return headers;
		},
		get cookies() {
			cookies ??= Object.freeze(parseCookies(request.headers.get("cookie")));
			return cookies;
		},
		remoteAddress,
		token,
		internal,
	};
}
