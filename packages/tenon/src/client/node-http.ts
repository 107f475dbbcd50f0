import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from "node:http";
import { ActorError } from "../protocol/errors.js";
import { watchAbort } from "./abort-watch.js";

/**
 * The client's HTTP calls on Node, over `node:http` and `node:https` with a
 * keep-alive agent of the client's own, instead of `fetch`.
 *
 * Why not fetch: Node's fetch (undici) builds the Web `Request`, `Headers`
 * and `Response` objects and a body stream for every call. For a small
 * action call that cost the client 320 µs of CPU against 85 µs for the same
 * request sent with `node:http`, and 380 µs against 170 µs of latency
 * (bench/README.md, 2026-11-25). Browsers, Deno, Bun and workers keep
 * `fetch`, as does a client given its own `fetch`, and a process that set
 * up a proxy or a mock for fetch (see {@link nodeHttpAllowed}).
 *
 * Like fetch's, the sockets are shared by every client of the process,
 * unreferenced while idle (they never keep the process alive), and not
 * reused past the idle time the server announces (`Keep-Alive: timeout`)
 * less a second, or past 4 s when it announces none: a socket the server
 * is closing would fail the call (a POST is never sent again).
 */

/** What a call needs of an answer: status, content type and the whole body. */
export interface HttpAnswer {
	status: number;
	contentType: string;
	bytes: Uint8Array;
}

/** One HTTP call; rejects on network failures, with `signal.reason` once aborted. */
export interface HttpCall {
	method: string;
	headers: Record<string, string>;
	body?: string | Uint8Array;
	signal?: AbortSignal;
	/** Largest answer body read; a larger one fails with `client/response_too_large`. */
	maxBytes: number;
}

/** Thrown for a redirect answer: a call is never sent again (see transport.ts). */
export class RedirectAnswer extends Error {}

interface NodeHttpModules {
	http: typeof import("node:http");
	https: typeof import("node:https");
}

/** The `fetch` of the process when this module loaded (to see a stub or a wrapper later). */
const loadedFetch = (globalThis as { fetch?: unknown }).fetch;

/**
 * True when calls may go over `node:http`: on Node itself, and only while
 * fetch is Node's own. A process that replaced `fetch` (a test's stub,
 * an instrumentation), set an undici global dispatcher other than the
 * default agent (a proxy, a mock) or asked Node for its environment proxy
 * (`NODE_USE_ENV_PROXY`, `--use-env-proxy`) keeps fetch.
 */
export function nodeHttpAllowed(): boolean {
	if (!isNode()) return false;
	const fetch = (globalThis as { fetch?: unknown }).fetch;
	if (fetch !== loadedFetch || !isNodesOwnFetch(fetch)) return false;
	const dispatcher = (globalThis as Record<symbol, unknown>)[
		Symbol.for("undici.globalDispatcher.1")
	];
	if (dispatcher !== undefined && (dispatcher as object)?.constructor?.name !== "Agent")
		return false;
	const envProxy = process.env.NODE_USE_ENV_PROXY;
	if (envProxy !== undefined && envProxy !== "" && envProxy !== "0") return false;
	return !process.execArgv.includes("--use-env-proxy");
}

/**
 * Node's own fetch loads undici when first called, and its source says so; a
 * stub or a wrapper set before this module loaded does not. (Should a later
 * Node word it otherwise, calls stay on fetch: slower, never wrong.)
 */
function isNodesOwnFetch(fetch: unknown): boolean {
	return typeof fetch === "function" && Function.prototype.toString.call(fetch).includes("undici");
}

/**
 * True on Node itself. Deno and Bun define `process.versions.node` too, and
 * Cloudflare's workers can with `nodejs_compat`; their `navigator` tells
 * them apart (Node 20 has none, Node 21+ says `Node.js/...`).
 */
function isNode(): boolean {
	if (typeof document !== "undefined" || typeof process === "undefined") return false;
	if (typeof process.versions?.node !== "string") return false;
	const agent = (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent;
	return agent === undefined || (typeof agent === "string" && agent.startsWith("Node.js"));
}

// Module names in variables: bundlers for the browser leave the imports
// alone (the code never runs there), and nothing is loaded until a call.
const HTTP = "node:http";
const HTTPS = "node:https";

/** What the process's clients share: the modules and one keep-alive agent per scheme. */
interface Shared {
	modules: NodeHttpModules;
	agent: Agent;
	secureAgent: Agent;
}

/** Loaded on the first call of the first client; `undefined` where the modules are missing. */
let loading: Promise<Shared | undefined> | undefined;

function loadShared(): Promise<Shared | undefined> {
	loading ??= Promise.all([
		// Left alone by bundlers for the browser (the code never runs there).
		import(
			/* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ HTTP
		) as Promise<NodeHttpModules["http"]>,
		import(
			/* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ HTTPS
		) as Promise<NodeHttpModules["https"]>,
	]).then(
		([http, https]) => {
			// `timeout`: an idle socket closes after it, or after the server's
			// announced keep-alive less a second when that is shorter (Node's
			// agent reads the announcement only when it has a timeout of its own).
			const options = { keepAlive: true, timeout: IDLE_SOCKET_MS };
			return {
				modules: { http, https },
				agent: new http.Agent(options),
				secureAgent: new https.Agent(options),
			};
		},
		() => undefined,
	);
	return loading;
}

/** How long a keep-alive socket may stay idle (undici's default too). */
const IDLE_SOCKET_MS = 4_000;

/** A call with no answer and no bytes moving for this long fails (undici's header and body timeouts). */
const STALLED_CALL_MS = 300_000;

/** What the server hears from a client on Node (Node's fetch said `node`; some firewalls refuse none). */
const USER_AGENT = "tenon-client";

/** Sends calls over `node:http(s)`. */
export class NodeHttpSender {
	#shared: Shared | undefined;

	/** True once {@link ready} loaded the modules. */
	get loaded(): boolean {
		return this.#shared !== undefined;
	}

	/** Loads the modules once; false (use fetch) where they are missing. */
	async ready(): Promise<boolean> {
		this.#shared ??= await loadShared();
		return this.#shared !== undefined;
	}

	/** Sends `call` to `url` (after {@link ready} said true). */
	send(url: string, call: HttpCall): Promise<HttpAnswer> {
		const { modules, agent: plainAgent, secureAgent } = this.#shared as Shared;
		const secure = url.startsWith("https:");
		const agent = secure ? secureAgent : plainAgent;
		const { signal, body } = call;
		// As fetch does: node:http would send them as Basic auth (and browsers refuse such URLs).
		if (CREDENTIALS.test(url))
			return Promise.reject(
				new TypeError("Request cannot be constructed from a URL that includes credentials"),
			);
		return new Promise<HttpAnswer>((resolve, reject) => {
			if (signal?.aborted) {
				reject(signal.reason);
				return;
			}
			const headers: Record<string, string> = {
				"user-agent": USER_AGENT,
				accept: "*/*",
				...call.headers,
			};
			if (body !== undefined)
				headers["content-length"] = String(
					typeof body === "string" ? Buffer.byteLength(body) : body.byteLength,
				);
			const options: RequestOptions = { method: call.method, headers, agent };
			let request: ClientRequest;
			let settled = false;
			let unwatch: (() => void) | undefined;
			const onAbort = () => {
				if (settled) return;
				settled = true;
				request.destroy();
				reject(signal?.reason);
			};
			const finish = (error: unknown, answer?: HttpAnswer) => {
				if (settled) return;
				settled = true;
				unwatch?.();
				if (answer === undefined) reject(error);
				else resolve(answer);
			};
			try {
				request = (secure ? modules.https : modules.http).request(url, options, (response) =>
					readAnswer(response, call.maxBytes, finish),
				);
			} catch (error) {
				// An invalid URL or header value: nothing was sent.
				finish(error);
				return;
			}
			if (signal) unwatch = watchAbort(signal, onAbort);
			request.setTimeout(STALLED_CALL_MS, () =>
				request.destroy(new Error(`no answer for ${STALLED_CALL_MS / 1000} s`)),
			);
			request.on("error", (error) => finish(error));
			request.end(body);
		});
	}
}

/** A URL with a user name or password before its host. */
const CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function readAnswer(
	response: IncomingMessage,
	maxBytes: number,
	finish: (error: unknown, answer?: HttpAnswer) => void,
): void {
	const status = response.statusCode ?? 0;
	if (REDIRECTS.has(status)) {
		response.destroy();
		finish(new RedirectAnswer(`HTTP ${status}`));
		return;
	}
	const tooLarge = () => {
		// Before the rest arrives: a body that never ends must not fill the memory.
		finish(responseTooLarge(status, maxBytes));
		response.destroy();
	};
	if (Number(response.headers["content-length"]) > maxBytes) {
		tooLarge();
		return;
	}
	const chunks: Buffer[] = [];
	let length = 0;
	response.on("data", (chunk: Buffer) => {
		length += chunk.byteLength;
		if (length > maxBytes) {
			chunks.length = 0;
			tooLarge();
			return;
		}
		chunks.push(chunk);
	});
	response.on("end", () => {
		// A plain Uint8Array of its own, as fetch's arrayBuffer() gives: decoded
		// byte strings must not be Buffers, nor hold on to a socket's chunk.
		const bytes = new Uint8Array(length);
		let at = 0;
		for (const chunk of chunks) {
			bytes.set(chunk, at);
			at += chunk.byteLength;
		}
		const contentType = response.headers["content-type"] ?? "";
		finish(undefined, { status, contentType, bytes });
	});
	response.on("error", (error) => finish(error));
	response.on("close", () => {
		if (!response.complete) finish(new Error("the connection closed before the answer ended"));
	});
}

/** The error for an answer over the client's `maxResponseBytes`. */
export function responseTooLarge(status: number, maxBytes: number): ActorError {
	return new ActorError(
		"client",
		"response_too_large",
		`The server's answer (HTTP ${status}) is over the client's maxResponseBytes (${maxBytes} bytes)`,
		{ maxBytes },
	);
}
