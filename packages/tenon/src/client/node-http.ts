import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from "node:http";

/**
 * The client's HTTP calls on Node, over `node:http` and `node:https` with a
 * keep-alive agent of the client's own, instead of `fetch`.
 *
 * Why not fetch: Node's fetch (undici) builds the Web `Request`, `Headers`
 * and `Response` objects and a body stream for every call. For a small
 * action call that cost the client 320 µs of CPU against 85 µs for the same
 * request sent with `node:http`, and 380 µs against 170 µs of latency
 * (bench/README.md, 2026-11-25). Browsers, Deno, Bun and workers keep
 * `fetch`, as does a client given its own `fetch` (a proxy set up through
 * undici's global dispatcher is honoured that way).
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
}

/** Thrown for a redirect answer: a call is never sent again (see transport.ts). */
export class RedirectAnswer extends Error {}

interface NodeHttpModules {
	http: typeof import("node:http");
	https: typeof import("node:https");
}

/**
 * True on Node itself. Deno and Bun define `process.versions.node` too, and
 * Cloudflare's workers can with `nodejs_compat`; their `navigator` tells
 * them apart (Node 20 has none, Node 21+ says `Node.js/...`).
 */
export function isNode(): boolean {
	if (typeof document !== "undefined" || typeof process === "undefined") return false;
	if (typeof process.versions?.node !== "string") return false;
	const agent = (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent;
	return agent === undefined || (typeof agent === "string" && agent.startsWith("Node.js"));
}

// Module names in variables: bundlers for the browser leave the imports
// alone (the code never runs there), and nothing is loaded until a call.
const HTTP = "node:http";
const HTTPS = "node:https";

/** Sends calls over `node:http(s)`; `undefined` when the modules cannot be loaded. */
export class NodeHttpSender {
	#modules: NodeHttpModules | undefined;
	#loading: Promise<NodeHttpModules | undefined> | undefined;
	#agent!: Agent;
	#secureAgent!: Agent;
	#closed = false;

	/** Loads the modules once; `undefined` (use fetch) where they are missing. */
	async ready(): Promise<boolean> {
		if (this.#modules !== undefined) return true;
		this.#loading ??= Promise.all([
			import(/* @vite-ignore */ HTTP) as Promise<NodeHttpModules["http"]>,
			import(/* @vite-ignore */ HTTPS) as Promise<NodeHttpModules["https"]>,
		]).then(
			([http, https]) => ({ http, https }),
			() => undefined,
		);
		const modules = await this.#loading;
		if (modules === undefined) return false;
		if (this.#modules === undefined) {
			// Sockets are opened on the first call of each kind.
			this.#agent = new modules.http.Agent({ keepAlive: true });
			this.#secureAgent = new modules.https.Agent({ keepAlive: true });
			this.#modules = modules;
		}
		return true;
	}

	/** Sends `call` to `url` (after {@link ready} said true). */
	send(url: string, call: HttpCall): Promise<HttpAnswer> {
		const modules = this.#modules as NodeHttpModules;
		const secure = url.startsWith("https:");
		const agent = secure ? this.#secureAgent : this.#agent;
		if (this.#closed) closeIdle(agent);
		const { signal, body } = call;
		return new Promise<HttpAnswer>((resolve, reject) => {
			if (signal?.aborted) {
				reject(signal.reason);
				return;
			}
			const headers: Record<string, string> = { ...call.headers };
			if (body !== undefined)
				headers["content-length"] = String(
					typeof body === "string" ? Buffer.byteLength(body) : body.byteLength,
				);
			const options: RequestOptions = { method: call.method, headers, agent };
			let request: ClientRequest;
			let settled = false;
			const onAbort = () => {
				if (settled) return;
				settled = true;
				request.destroy();
				reject(signal?.reason);
			};
			const finish = (error: unknown, answer?: HttpAnswer) => {
				if (settled) return;
				settled = true;
				signal?.removeEventListener("abort", onAbort);
				if (answer === undefined) reject(error);
				else resolve(answer);
			};
			try {
				request = (secure ? modules.https : modules.http).request(url, options, (response) =>
					readAnswer(response, finish),
				);
			} catch (error) {
				// An invalid URL or header value: nothing was sent.
				finish(error);
				return;
			}
			signal?.addEventListener("abort", onAbort, { once: true });
			request.on("error", (error) => finish(error));
			request.end(body);
		});
	}

	/**
	 * Closes the idle sockets (the client was disposed). Calls under way end
	 * normally; their sockets, and any a later call opens, close when idle.
	 */
	close(): void {
		this.#closed = true;
		if (this.#modules === undefined) return;
		closeIdle(this.#agent);
		closeIdle(this.#secureAgent);
	}
}

function closeIdle(agent: Agent): void {
	for (const sockets of Object.values(agent.freeSockets))
		for (const socket of sockets ?? []) socket.destroy();
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function readAnswer(
	response: IncomingMessage,
	finish: (error: unknown, answer?: HttpAnswer) => void,
): void {
	const status = response.statusCode ?? 0;
	if (REDIRECTS.has(status)) {
		response.resume();
		finish(new RedirectAnswer(`HTTP ${status}`));
		return;
	}
	const chunks: Buffer[] = [];
	let length = 0;
	response.on("data", (chunk: Buffer) => {
		chunks.push(chunk);
		length += chunk.byteLength;
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
