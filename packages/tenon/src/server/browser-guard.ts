// Protections for servers that browsers can reach. A web page can make a
// browser send requests to any server (cross-site requests, WebSockets), and
// DNS rebinding can make a hostile page same-origin with a server bound to
// loopback. Three checks stop that: the Host header must name this server,
// requests that change state must come from an allowed Origin, and bodies
// must be in one of the protocol's encodings (which a plain HTML form cannot
// produce).

import { ActorError } from "../protocol/errors.js";
import { allowedOrigin, type CorsOptions } from "./cors.js";
import type { RequestHead } from "./incoming.js";

/** The host names a server bound to loopback answers to by default. */
export const LOOPBACK_HOSTS: readonly string[] = Object.freeze([
	"localhost",
	"*.localhost",
	"127.0.0.1",
	"[::1]",
]);

/** Options of {@link BrowserGuard}. */
export interface BrowserGuardOptions {
	/**
	 * Host names (`Host` header, without port) the server answers to:
	 * `example.com`, or `*.example.com` for its subdomains. Undefined: any.
	 */
	allowedHosts?: readonly string[] | undefined;
	/**
	 * Also answer to any IP address in `Host` (a server reached by address on
	 * a LAN or in a container). DNS rebinding needs a host name, so this stays safe.
	 */
	allowIpHosts?: boolean | undefined;
	/** Cross-origin callers allowed (the CORS allow-list). */
	cors?: CorsOptions | undefined;
}

/** How many allowed Host values {@link BrowserGuard} remembers. */
const MAX_ALLOWED_VALUES = 64;

const CONTENT_TYPES = new Set(["application/json", "application/cbor", "application/octet-stream"]);

const guardErrors = {
	host: (host: string) =>
		new ActorError(
			"auth",
			"host_not_allowed",
			`This server does not answer to host '${host.slice(0, 100)}' (configure allowedHosts)`,
		),
	origin: (origin: string) =>
		new ActorError(
			"auth",
			"origin_not_allowed",
			`Requests from origin '${origin.slice(0, 200)}' are not allowed (configure cors.origin)`,
		),
	crossSiteCreation: () =>
		new ActorError(
			"auth",
			"origin_not_allowed",
			"A page of another site cannot create an actor with GET, HEAD or OPTIONS: reach an existing one (rvt-method=get, or its id), or create it with POST from an allowed origin",
		),
	contentType: (type: string) =>
		new ActorError(
			"request",
			"unsupported_content_type",
			`Content type '${type.slice(0, 100)}' is not accepted: use application/json, or application/octet-stream for CBOR`,
		),
	contentEncoding: (coding: string) =>
		new ActorError(
			"request",
			"unsupported_content_encoding",
			`Content encoding '${coding.slice(0, 100)}' is not accepted: send the body as it is (identity)`,
		),
};

/** A `Host` value: a name or IPv4 address, or an IPv6 address in brackets, then an optional port. */
const HOST_VALUE = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(:\d{0,5})?$/;

/**
 * The host name of a `Host` header value (lower case, port removed, IPv6 in
 * brackets), or "" for a value that is not a host and port (which no allowed
 * host matches): `127.0.0.1:80@evil.com` named no host at all, but was read
 * as `127.0.0.1`.
 */
export function hostNameOf(host: string): string {
	const match = HOST_VALUE.exec(host.trim().toLowerCase());
	return match === null ? "" : (match[1] as string);
}

/** True for `10.0.0.5` or `[fd00::1]` (as `hostNameOf` writes them). */
export function isIpLiteral(name: string): boolean {
	if (name.startsWith("[") && name.endsWith("]")) return /^\[[0-9a-f:.]+\]$/.test(name);
	return /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(name);
}

function hostMatches(name: string, pattern: string): boolean {
	const rule = pattern.toLowerCase();
	if (rule.startsWith("*.")) return name.endsWith(rule.slice(1)) && name.length > rule.length - 1;
	return name === rule;
}

/** Applies the Host, Origin and content-type checks to requests from the network. */
export class BrowserGuard {
	readonly #options: BrowserGuardOptions;
	/**
	 * Host header values already allowed (a client sends the same one on every
	 * request): answered without parsing. Bounded, so a flood of distinct
	 * allowed values (every port of an allowed name) stops adding to it.
	 */
	readonly #allowedValues = new Set<string>();

	constructor(options: BrowserGuardOptions) {
		this.#options = options;
	}

	/** Throws `auth/host_not_allowed` unless the request's Host is allowed. */
	checkHost(request: RequestHead): void {
		const allowed = this.#options.allowedHosts;
		if (allowed === undefined) return;
		const host = request.headers.get("host") ?? "";
		if (this.#allowedValues.has(host)) return;
		const name = hostNameOf(host);
		const ok =
			(Boolean(this.#options.allowIpHosts) && isIpLiteral(name)) ||
			(name !== "" && allowed.some((pattern) => hostMatches(name, pattern)));
		if (!ok) throw guardErrors.host(host);
		if (this.#allowedValues.size < MAX_ALLOWED_VALUES) this.#allowedValues.add(host);
	}

	/**
	 * Throws `auth/origin_not_allowed` when a browser sent the request from a
	 * page of another origin that CORS does not allow. Requests without an
	 * `Origin` (non-browser clients) pass; browsers always send one on
	 * cross-origin requests that can change state, and on WebSocket upgrades.
	 */
	checkOrigin(request: RequestHead): void {
		const origin = request.headers.get("origin");
		if (origin === null) return;
		if (this.#sameOrigin(origin, request)) return;
		const cors = this.#options.cors;
		if (cors !== undefined && allowedOrigin(cors, origin) !== undefined) return;
		throw guardErrors.origin(origin);
	}

	/**
	 * For a GET, HEAD or OPTIONS that may create an actor: the Origin check,
	 * and when the browser sent no Origin (an `<img>`, a link, a form GET), its
	 * fetch metadata must not say another site sent it. Such requests skip the
	 * Origin check because they change nothing, and creating does (an
	 * attacker probe, 2026-11-28: a page planted actors of its keys and input,
	 * its hooks run with the victim's cookies). Clients that are not browsers
	 * send neither header and pass.
	 */
	checkCreation(request: RequestHead): void {
		this.checkOrigin(request);
		if (request.headers.get("origin") !== null) return;
		const site = request.headers.get("sec-fetch-site");
		if (site === "cross-site" || site === "same-site") throw guardErrors.crossSiteCreation();
	}

	#sameOrigin(origin: string, request: RequestHead): boolean {
		if (origin === "null") return false;
		let originHost: string;
		try {
			originHost = new URL(origin).host.toLowerCase();
		} catch {
			return false;
		}
		const host = (request.headers.get("host") ?? new URL(request.url).host).toLowerCase();
		return originHost === host;
	}

	/**
	 * Throws `request/unsupported_content_encoding` for a body with a content coding (gzip, ...),
	 * and `request/unsupported_content_type` for a body in anything but
	 * the protocol's encodings (a cross-site form can only send
	 * `text/plain`, `multipart/form-data` or `application/x-www-form-urlencoded`).
	 */
	checkContentType(request: RequestHead): void {
		// A compressed body was read as it came, and failed to decode as something else
		// (request/malformed) or, worse, decoded (an attacker probe, 2026-11-27): RFC 9110
		// answers a coding the server does not apply with 415.
		const coding = request.headers.get("content-encoding");
		if (coding !== null && !/^\s*(?:identity)?\s*$/i.test(coding))
			throw guardErrors.contentEncoding(coding);
		const type = request.headers.get("content-type");
		if (type === null || CONTENT_TYPES.has(type)) return;
		const essence = (type.split(";")[0] ?? "").trim().toLowerCase();
		if (!CONTENT_TYPES.has(essence)) throw guardErrors.contentType(type);
	}
}
