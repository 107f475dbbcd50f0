// The request a raw handler (`onRequest`, `onWebSocket`) sees, and how a hibernating raw
// socket's is stored.
import type { CallerRequest } from "../actor/context.js";
import { readOnlyHeaders } from "../common/read-only-headers.js";
import type { StoredRequest } from "./connections/conn-records.js";

/** Headers a raw socket's stored request leaves out (the handshake's own). */
const HANDSHAKE_HEADERS = [
	"sec-websocket-key",
	"sec-websocket-extensions",
	"upgrade",
	"connection",
];

export function storeRequest(request: CallerRequest | undefined): StoredRequest | undefined {
	if (request === undefined) return undefined;
	return {
		method: request.method,
		url: request.url,
		headers: [...request.headers].filter(([name]) => !HANDSHAKE_HEADERS.includes(name)),
		cookies: { ...request.cookies },
		remoteAddress: request.remoteAddress,
		token: request.token,
		internal: request.internal,
		...(request.callDepth > 0 ? { callDepth: request.callDepth } : {}),
	};
}

/** The sub-protocol a raw socket selected: the first offered, unless it is Rivet's own (upgrade.ts). */
export function userProtocol(request: CallerRequest | undefined): string {
	const first = request?.headers.get("sec-websocket-protocol")?.split(",")[0]?.trim() ?? "";
	return first.startsWith("rivet") ? "" : first;
}

export function restoreRequest(stored: StoredRequest | undefined): CallerRequest | undefined {
	if (stored === undefined) return undefined;
	// Frozen, as a live request's is.
	return Object.freeze({
		method: stored.method,
		url: stored.url,
		headers: readOnlyHeaders(stored.headers),
		cookies: Object.freeze({ ...stored.cookies }),
		remoteAddress: stored.remoteAddress,
		token: stored.token,
		internal: stored.internal,
		callDepth: stored.callDepth ?? 0,
	});
}

/**
 * What `onRequest` and `onWebSocket` see as `c.request`: the caller's request with the URL
 * their own request has, the path after `/request` or `/websocket` and the query without
 * `rvt-*` (`new URL(c.request.url).pathname` routes, as in RivetKit). Until 2026-11-29 it was
 * the gateway's URL (`/gateway/{actor}/websocket/admin?...&rvt-key=...`). Connect hooks still
 * see the gateway's.
 */
export function handlerRequest(
	request: CallerRequest | undefined,
	url: string,
): CallerRequest | undefined {
	if (request === undefined) return undefined;
	// The path set on a copy of the caller's URL: resolved against it, a path of `//evil.example/`
	// named another host (a review, 2026-11-29).
	const rebased = new URL(request.url);
	const query = url.indexOf("?");
	rebased.pathname = query === -1 ? url : url.slice(0, query);
	rebased.search = query === -1 ? "" : url.slice(query);
	return new HandlerRequest(request, rebased.href);
}

/** {@link CallerRequest} at another URL; the rest read from the caller's (headers on first use). */
class HandlerRequest implements CallerRequest {
	readonly method: string;
	readonly url: string;
	readonly remoteAddress: string | undefined;
	readonly token: string | undefined;
	readonly internal: boolean;
	readonly callDepth: number;
	readonly #caller: CallerRequest;

	constructor(caller: CallerRequest, url: string) {
		this.method = caller.method;
		this.url = url;
		this.remoteAddress = caller.remoteAddress;
		this.token = caller.token;
		this.internal = caller.internal;
		this.callDepth = caller.callDepth;
		this.#caller = caller;
		Object.freeze(this);
	}

	get headers(): Headers {
		return this.#caller.headers;
	}

	get cookies(): Readonly<Record<string, string>> {
		return this.#caller.cookies;
	}
}

/** The path and query of an absolute URL (`onRequest`'s request), as `handlerRequest` takes them. */
export function pathAndQuery(url: string): string {
	const parsed = new URL(url);
	return `${parsed.pathname}${parsed.search}`;
}
