import { HANDLE_METHODS, SPECIAL_NAMES } from "../protocol/client-members.js";
import { ActorError } from "../protocol/errors.js";
import { encodeActionCall, encodeQueueSend } from "../protocol/http-bodies.js";
import { watchAbort } from "./abort-watch.js";
import { ActionProxies } from "./action-proxy.js";
import { ActorConnImpl, createConnProxy } from "./connection.js";
import { type ClientTransport, encodeParamsProtocol, type HandleTarget } from "./transport.js";
import type { ActionCall } from "./types.js";

/** Params given to a handle: fixed, or computed per use. */
export interface ParamsSource {
	params?: unknown;
	getParams?: () => unknown;
}

/** Tracks connections and raw sockets so `client.dispose()` can close them. */
export interface ConnRegistry {
	add(conn: ActorConnImpl): void;
	remove(conn: ActorConnImpl): void;
	/** A raw WebSocket opened by `handle.webSocket()`: closed by `dispose()` unless closed before. */
	socket(socket: WebSocket): void;
}

interface ActorJson {
	actor_id: string;
}

/** What a handle does; the public handle is a proxy over it. */
export class HandleCore {
	readonly #transport: ClientTransport;
	readonly #target: HandleTarget;
	readonly #params: ParamsSource;
	readonly #conns: ConnRegistry;
	/** Actor id once known (resolved through REST when the query form cannot be used). */
	#actorId: string | undefined;

	constructor(
		transport: ClientTransport,
		target: HandleTarget,
		params: ParamsSource,
		conns: ConnRegistry,
	) {
		this.#transport = transport;
		this.#target = target;
		this.#params = params;
		this.#conns = conns;
		if (target.kind === "id") this.#actorId = target.actorId;
	}

	/** Current params (calls `getParams` if given). */
	async params(): Promise<unknown> {
		return this.#params.getParams ? await this.#params.getParams() : this.#params.params;
	}

	/** Resolves the actor id through REST (creating the actor for `getOrCreate`). */
	async resolve(signal?: AbortSignal): Promise<string> {
		if (this.#actorId !== undefined) return this.#actorId;
		const target = this.#target as Extract<HandleTarget, { kind: "key" }>;
		const transport = this.#transport;
		const namespace = encodeURIComponent(transport.namespace);
		if (target.method === "getOrCreate") {
			// The params go along: the actor's onBeforeCreate sees them.
			const params = await this.params();
			const answer = await transport.request(
				"PUT",
				`${transport.endpoint}/actors?namespace=${namespace}`,
				{
					headers: params === undefined ? {} : { "x-rivet-conn-params": JSON.stringify(params) },
					body: {
						name: target.name,
						key: transport.serializeKey(target.key),
						runner_name_selector: "default",
						crash_policy: "sleep",
						...(target.hasInput ? { input: transport.encodeInput(target.input) } : {}),
					},
					...(signal ? { signal } : {}),
				},
			);
			this.#actorId = actorIdOf((answer as { actor?: unknown } | undefined)?.actor);
		} else {
			const query = new URLSearchParams({
				namespace: transport.namespace,
				name: target.name,
				key: transport.serializeKey(target.key),
			});
			const answer = await transport.request(
				"GET",
				`${transport.endpoint}/actors?${query}`,
				signal ? { signal } : {},
			);
			const actors = (answer as { actors?: unknown } | undefined)?.actors;
			if (!Array.isArray(actors)) throw badAnswer("a list of actors");
			if (actors.length === 0)
				throw new ActorError("actor", "not_found", "The actor does not exist", {
					name: target.name,
					key: target.key,
				});
			this.#actorId = actorIdOf(actors[0]);
		}
		return this.#actorId;
	}

	/** The gateway URL for `path`, using the query form when possible. */
	async url(path: string, signal?: AbortSignal): Promise<string> {
		if (
			this.#actorId === undefined &&
			this.#target.kind === "key" &&
			this.#transport.canUseQueryForm(this.#target)
		) {
			return this.#transport.queryUrl(this.#target, path);
		}
		return this.#transport.directUrl(await this.resolve(signal), path);
	}

	/**
	 * Calls an action over HTTP. A `signal` aborts it at any step: computing
	 * params (`getParams`), resolving the actor over REST, the call itself.
	 */
	action(call: ActionCall): Promise<unknown> {
		if (call.signal?.aborted) return Promise.reject(call.signal.reason);
		const called = this.#action(call);
		return call.signal ? untilAborted(called, call.signal) : called;
	}

	async #action(call: ActionCall): Promise<unknown> {
		const attempt = async () => {
			const params = await this.params();
			const url = await this.url(`/action/${encodeURIComponent(call.name)}`, call.signal);
			const encoding = this.#transport.encoding;
			const answer = (await this.#transport.request("POST", url, {
				encodedBody: encodeActionCall(encoding, call.args ?? []),
				reply: "action",
				encoding,
				headers: params === undefined ? {} : { "x-rivet-conn-params": JSON.stringify(params) },
				...(call.signal ? { signal: call.signal } : {}),
			})) as { output?: unknown } | undefined;
			return answer?.output;
		};
		try {
			return await attempt();
		} catch (error) {
			// A cached id can go stale when the actor was destroyed and its key
			// reused; re-resolve once.
			if (this.#isStale(error)) {
				this.#actorId = undefined;
				return attempt();
			}
			throw error;
		}
	}

	#isStale(error: unknown): boolean {
		return (
			error instanceof ActorError &&
			error.group === "actor" &&
			error.code === "not_found" &&
			this.#target.kind === "key" &&
			this.#target.method === "getOrCreate" &&
			this.#actorId !== undefined
		);
	}

	/** Sends a queue message; with `wait`, resolves with its completion (or `timedOut`). */
	send(
		name: string,
		body: unknown,
		options: { wait?: boolean; timeout?: number; signal?: AbortSignal } = {},
	): Promise<{ status: "completed" | "timedOut"; response?: unknown } | undefined> {
		return this.#sendAs(() => this.params(), name, body, options);
	}

	/** {@link send} with the params `params` gives (a connection's). */
	#sendAs(
		params: () => Promise<unknown>,
		name: string,
		body: unknown,
		options: { wait?: boolean; timeout?: number; signal?: AbortSignal },
	): Promise<{ status: "completed" | "timedOut"; response?: unknown } | undefined> {
		if (options.signal?.aborted) return Promise.reject(options.signal.reason);
		const sent = this.#send(params, name, body, options);
		return options.signal ? untilAborted(sent, options.signal) : sent;
	}

	async #send(
		paramsOf: () => Promise<unknown>,
		name: string,
		body: unknown,
		options: { wait?: boolean; timeout?: number; signal?: AbortSignal },
	): Promise<{ status: "completed" | "timedOut"; response?: unknown } | undefined> {
		const params = await paramsOf();
		const url = await this.url(`/queue/${encodeURIComponent(name)}`, options.signal);
		const wait = options.wait === true;
		const encoding = this.#transport.encoding;
		const answer = (await this.#transport.request("POST", url, {
			encodedBody: encodeQueueSend(encoding, {
				name,
				body,
				wait,
				...(options.timeout === undefined ? {} : { timeout: options.timeout }),
			}),
			reply: "queue",
			encoding,
			headers: params === undefined ? {} : { "x-rivet-conn-params": JSON.stringify(params) },
			...(options.signal ? { signal: options.signal } : {}),
		})) as { status: "completed" | "timedOut"; response?: unknown };
		return wait ? answer : undefined;
	}

	/** A raw HTTP request to the actor's `onRequest` (path relative to the actor). */
	async fetch(path: string, init: RequestInit = {}): Promise<Response> {
		const params = await this.params();
		const url = await this.url(`/request${path.startsWith("/") ? path : `/${path}`}`);
		const headers = new Headers(init.headers);
		if (params !== undefined && !headers.has("x-rivet-conn-params"))
			headers.set("x-rivet-conn-params", JSON.stringify(params));
		return this.#transport.rawFetch(url, { ...init, headers });
	}

	/** A raw WebSocket to the actor's `onWebSocket` (path relative to the actor). */
	async webSocket(path = "/", protocols: string | string[] = []): Promise<WebSocket> {
		const params = await this.params();
		const url = await this.url(`/websocket${path.startsWith("/") ? path : `/${path}`}`);
		const offered = [...(typeof protocols === "string" ? [protocols] : protocols)];
		// Without protocols of its own, "rivet" is offered first, for the server to select: it
		// selected the params' (`socket.protocol` showed them, a token too; a walkthrough, 2026-11-28).
		if (offered.length === 0) offered.push("rivet");
		if (params !== undefined) offered.push(`rivet_conn_params.${encodeParamsProtocol(params)}`);
		const WebSocketClass = await this.#transport.webSocketClass();
		const socket = new WebSocketClass(url.replace(/^http/, "ws"), offered);
		socket.binaryType = "arraybuffer";
		this.#conns.socket(socket);
		return socket;
	}

	/** Opens a connection. */
	connect(params?: unknown): ActorConnImpl {
		const paramsOf = async () => (params !== undefined ? params : this.params());
		const conn = new ActorConnImpl(this.#transport, {
			url: () => this.url("/connect"),
			params: paramsOf,
			send: (name, body, options) => this.#sendAs(paramsOf, name, body, options),
			onDispose: (closed) => this.#conns.remove(closed),
			staleTarget: () => {
				if (this.#target.kind === "key" && this.#target.method === "getOrCreate")
					this.#actorId = undefined;
			},
		});
		this.#conns.add(conn);
		conn.start();
		return conn;
	}
}

/** An actor's id in a REST answer (`{ actor_id }`), else `client/bad_response`. */
export function actorIdOf(actor: unknown): string {
	const id = (actor as Partial<ActorJson> | null | undefined)?.actor_id;
	if (typeof id !== "string" || id === "") throw badAnswer("an actor with its actor_id");
	return id;
}

function badAnswer(expected: string): ActorError {
	return new ActorError(
		"client",
		"bad_response",
		`The server's answer to resolving the actor is not ${expected}`,
	);
}

/**
 * `promise`, or the signal's reason as soon as it aborts (steps that take no
 * signal, such as the user's `getParams`, are not waited for). What `promise`
 * does later is ignored.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const unwatch = watchAbort(signal, () => {
			promise.catch(() => {});
			reject(signal.reason);
		});
		promise.then(
			(value) => {
				unwatch();
				resolve(value);
			},
			(error: unknown) => {
				unwatch();
				reject(error);
			},
		);
	});
}

/** The public handle: its methods, and every other property an action. */
export function createHandle(core: HandleCore): unknown {
	const call = (name: string, args: unknown[]) => core.action({ name, args });
	const actions = new ActionProxies(call);
	return new Proxy(core, {
		get(target, property) {
			if (typeof property === "symbol" || SPECIAL_NAMES.has(property)) return undefined;
			if (property === "connect")
				return (params?: unknown) => createConnProxy(target.connect(params));
			if (HANDLE_METHODS.has(property)) {
				const method = target[
					property as "action" | "resolve" | "send" | "fetch" | "webSocket"
				] as (...args: unknown[]) => unknown;
				return method.bind(target);
			}
			return actions.get(property);
		},
	});
}
