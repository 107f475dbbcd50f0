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
	/**
	 * With `inProcess`: the request is made for a client of this server (a
	 * fallback's caller, such as an MCP client), not by an actor: hooks see
	 * that client's address, `internal` is false, and its per-address limits
	 * apply, as if it had sent the request itself.
	 */
	onBehalfOf?: OnBehalfOf | undefined;
}

/** The client an in-process request is made for (see {@link ClientInfo.onBehalfOf}). */
export interface OnBehalfOf {
	readonly remoteAddress: string | undefined;
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
	callDepth = 0,
	entryHost?: string,
): CallerRequest {
	return new HookRequest(request, remoteAddress, token, internal, webHeaders, callDepth, entryHost);
}

/** `url` with its host replaced by `host` (the Host a client sent where it entered the cluster). */
function withHost(url: string, host: string): string {
	const at = url.indexOf("//");
	const end = url.indexOf("/", at + 2);
	return `${url.slice(0, at + 2)}${host}${end === -1 ? "" : url.slice(end)}`;
}

/**
 * A class, not an object literal with getters: one object per request (its
 * getters on the prototype), where the literal made two closures, their
 * context and two accessor pairs, all kept as long as the call. So
 * `headers` and `cookies` are not own properties: `{ ...c.request }` leaves
 * them out.
 */
class HookRequest implements CallerRequest {
	readonly method: string;
	readonly url: string;
	readonly remoteAddress: string | undefined;
	readonly token: string | undefined;
	readonly internal: boolean;
	readonly callDepth: number;
	readonly #head: RequestHead;
	readonly #webHeaders: () => Headers;
	readonly #entryHost: string | undefined;
	#headers: Headers | undefined;
	#cookies: Readonly<Record<string, string>> | undefined;

	constructor(
		head: RequestHead,
		remoteAddress: string | undefined,
		token: string | undefined,
		internal: boolean,
		webHeaders: () => Headers,
		callDepth: number,
		entryHost: string | undefined,
	) {
		this.method = head.method;
		// Through a cluster hop: the URL as the client asked for it, not the owner's address.
		this.url = entryHost === undefined ? head.url : withHost(head.url, entryHost);
		this.#entryHost = entryHost;
		this.remoteAddress = remoteAddress;
		this.token = token;
		this.internal = internal;
		this.callDepth = callDepth;
		this.#head = head;
		this.#webHeaders = webHeaders;
		// Read-only, as its type says: a hook cannot make a request `internal` or change its
		// token (a hibernating raw socket stores them). Its private fields stay writable.
		Object.freeze(this);
	}

	get headers(): Headers {
		this.#headers ??= readOnlyHeaders(
			this.#webHeaders(),
			CLUSTER_HEADERS,
			this.#entryHost === undefined ? {} : { host: this.#entryHost },
		);
		return this.#headers;
	}

	get cookies(): Readonly<Record<string, string>> {
		this.#cookies ??= Object.freeze(parseCookies(this.#head.headers.get("cookie")));
		return this.#cookies;
	}
}
