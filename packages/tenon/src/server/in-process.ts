import { WebSocket as NodeWebSocket } from "ws";
import type { ClientOptions, WebSocketConstructor } from "../client/transport.js";
import { ownerAddress } from "../cluster/forward.js";
import {
	CALL_DEPTH_HEADER,
	FORWARDED_FOR_HEADER,
	FORWARDED_HOST_HEADER,
	FORWARDED_INTERNAL_HEADER,
	HOPS_HEADER,
	PEER_HEADER,
} from "../cluster/headers.js";
import { traceActorCall } from "../observability/tracing.js";
import type { ClientInfo, OnBehalfOf } from "./caller-request.js";
import type { ServerCore } from "./server-core.js";
import type { UpgradeDecision, WebSocketHandler } from "./websocket.js";

/** The core's answer that another node owns the actor. */
type ProxyDecision = Extract<UpgradeDecision, { kind: "proxy" }>;

/** The endpoint of in-process clients (never resolved over the network). */
export const IN_PROCESS_ENDPOINT = "http://tenon.local";

// biome-ignore lint/suspicious/noExplicitAny: WebSocket event objects are the platform's (MessageEvent, CloseEvent); listeners read what they need.
type Listener = (event: any) => void;

/**
 * A WebSocket that talks to the server core in the same process: no socket,
 * same protocol, same output gate. Used for actor-to-actor calls. Frames are
 * delivered asynchronously and in order, as over a real socket.
 */
class InProcessWebSocket {
	static readonly CONNECTING = 0;
	static readonly OPEN = 1;
	static readonly CLOSING = 2;
	static readonly CLOSED = 3;
	readonly CONNECTING = 0;
	readonly OPEN = 1;
	readonly CLOSING = 2;
	readonly CLOSED = 3;
	readonly url: string;
	readyState = 0;
	protocol = "";
	binaryType: "arraybuffer" | "blob" = "arraybuffer";
	onopen: Listener | null = null;
	onmessage: Listener | null = null;
	onclose: Listener | null = null;
	onerror: Listener | null = null;
	readonly #listeners = new Map<string, Set<Listener>>();
	#handler: WebSocketHandler | undefined;
	/** Actor-to-actor calls that lead to the connection (see MAX_CALL_DEPTH). */
	readonly #callDepth: number;
	/** The server's client the connection is made for, if any (see ClientInfo.onBehalfOf). */
	readonly #onBehalfOf: OnBehalfOf | undefined;

	constructor(
		core: ServerCore,
		url: string,
		protocols: string | string[] = [],
		callDepth = 0,
		onBehalfOf?: OnBehalfOf,
	) {
		this.url = url;
		this.#callDepth = callDepth;
		this.#onBehalfOf = onBehalfOf;
		const offered = typeof protocols === "string" ? [protocols] : protocols;
		const request = new Request(url.replace(/^ws/, "http"), {
			headers: {
				upgrade: "websocket",
				connection: "Upgrade",
				"sec-websocket-protocol": offered.join(", "),
				...(callDepth > 0 ? { [CALL_DEPTH_HEADER]: String(callDepth) } : {}),
			},
		});
		// Answered in a later task, as a socket's upgrade is: the upgrade can answer within the
		// creator's turn, and "open" fired before `await handle.webSocket()` could listen (a review).
		const later = <T>(value: T) => new Promise<T>((resolve) => setImmediate(() => resolve(value)));
		const failLater = (error: unknown) =>
			new Promise<never>((_resolve, reject) => setImmediate(() => reject(error)));
		void core
			.upgrade(request, inProcessInfo(onBehalfOf))
			.then(later, failLater)
			.then(
				(decision) => {
					if (decision.kind === "reject") {
						this.#finish(1006, "");
						return;
					}
					// Closed while it connected: nothing opens (the connection was opened, its hooks
					// run and its events dispatched on a socket already closed).
					if (this.readyState !== 0) {
						if (decision.kind === "accept") decision.abandon();
						return;
					}
					if (decision.kind === "proxy") {
						// Cluster: the actor lives on another node; talk to it over a real socket.
						this.#connectRemote(decision, offered);
						return;
					}
					this.protocol = decision.protocol ?? "";
					this.readyState = 1;
					const send = (data: string | Uint8Array) => queueMicrotask(() => this.#deliver(data));
					this.#handler = decision.open({
						send,
						sendShared: send,
						close: (code, reason) => queueMicrotask(() => this.#remoteClose(code, reason)),
					});
					this.#dispatch("open", { type: "open" });
				},
				() => this.#finish(1006, ""),
			);
	}

	#remote: NodeWebSocket | undefined;

	#connectRemote(owner: ProxyDecision, protocols: string[]): void {
		const { address, hops, peerSecret } = owner;
		const base = ownerAddress(address);
		if (base === undefined) {
			// The owner has no address yet (its node row comes back with its next heartbeat).
			this.#finish(1006, "");
			return;
		}
		const source = new URL(this.url);
		const target = new URL(`${source.pathname}${source.search}`, base);
		target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
		const client = this.#onBehalfOf;
		const remote = new NodeWebSocket(target, protocols, {
			// A node of the cluster: the owner trusts it (no Host, Origin or rate checks). An
			// actor's connection is internal; a client's carries that client's address.
			headers: {
				[HOPS_HEADER]: String(hops),
				[PEER_HEADER]: peerSecret,
				// The host the call was made to (as an HTTP call forwarded says it): the owner's
				// `c.request.url` showed the owner's own address (a review, 2026-11-29).
				[FORWARDED_HOST_HEADER]: source.host,
				...(client === undefined
					? { [FORWARDED_INTERNAL_HEADER]: "1" }
					: client.remoteAddress === undefined
						? {}
						: { [FORWARDED_FOR_HEADER]: client.remoteAddress }),
				...(this.#callDepth > 0 ? { [CALL_DEPTH_HEADER]: String(this.#callDepth) } : {}),
			},
		});
		remote.binaryType = "arraybuffer";
		this.#remote = remote;
		// The socket to the owner counts among this node's (and its client's) while it is open,
		// as a client's socket passed through does: it counted on the owner only (a review).
		let release: (() => void) | undefined;
		remote.on("open", () => {
			release = owner.hold();
			this.protocol = remote.protocol;
			this.readyState = 1;
			this.#dispatch("open", { type: "open" });
		});
		remote.on("message", (data: ArrayBuffer | string, isBinary: boolean) => {
			if (this.readyState !== 1) return;
			const payload = isBinary ? data : Buffer.from(data as ArrayBuffer).toString("utf8");
			this.#dispatch("message", { type: "message", data: payload });
		});
		remote.on("close", (code: number, reason: Buffer) => {
			release?.();
			release = undefined;
			this.#finish(code, reason.toString("utf8"));
		});
		remote.on("error", () => {});
	}

	addEventListener(type: string, listener: Listener): void {
		let set = this.#listeners.get(type);
		if (!set) {
			set = new Set();
			this.#listeners.set(type, set);
		}
		set.add(listener);
	}

	removeEventListener(type: string, listener: Listener): void {
		this.#listeners.get(type)?.delete(listener);
	}

	#dispatch(type: "open" | "message" | "close" | "error", event: object): void {
		const property = (this as unknown as Record<string, Listener | null>)[`on${type}`];
		for (const listener of [...(this.#listeners.get(type) ?? [])]) listener(event);
		property?.(event);
	}

	send(data: string | ArrayBufferLike | ArrayBufferView): void {
		if (this.readyState !== 1) throw new Error("WebSocket is not open");
		if (this.#remote) {
			this.#remote.send(data as string | Buffer);
			return;
		}
		const frame =
			typeof data === "string"
				? data
				: ArrayBuffer.isView(data)
					? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
					: new Uint8Array(data as ArrayBuffer).slice();
		queueMicrotask(() => this.#handler?.onMessage(frame));
	}

	close(code = 1000, reason = ""): void {
		if (this.readyState >= 2) return;
		this.readyState = 2;
		if (this.#remote) {
			this.#remote.close(code, reason);
			return;
		}
		queueMicrotask(() => {
			this.#handler?.onClose(code, reason);
			this.#finish(code, reason);
		});
	}

	#deliver(data: string | Uint8Array): void {
		if (this.readyState !== 1) return;
		const payload =
			typeof data === "string"
				? data
				: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
		this.#dispatch("message", { type: "message", data: payload });
	}

	#remoteClose(code: number, reason: string): void {
		if (this.readyState === 3) return;
		this.#handler?.onClose(code, reason);
		this.#finish(code, reason);
	}

	#finish(code: number, reason: string): void {
		if (this.readyState === 3) return;
		const wasConnecting = this.readyState === 0;
		this.readyState = 3;
		if (wasConnecting) this.#dispatch("error", { type: "error" });
		this.#dispatch("close", { type: "close", code, reason, wasClean: code !== 1006 });
	}
}

/** What the core is told of an in-process request: made by an actor, or for `onBehalfOf`. */
function inProcessInfo(onBehalfOf: OnBehalfOf | undefined): ClientInfo {
	return onBehalfOf === undefined ? { inProcess: true } : { inProcess: true, onBehalfOf };
}

/**
 * Client options that reach `core` in-process (fetch and WebSocket without
 * sockets), for calls `callDepth` actor-to-actor calls deep: each request
 * carries it, and the core refuses a chain deeper than MAX_CALL_DEPTH. With
 * `onBehalfOf`, the calls are a client's of the server (ClientInfo.onBehalfOf).
 */
export function inProcessClientOptions(
	core: ServerCore,
	callDepth = 0,
	basePath = "/",
	onBehalfOf?: OnBehalfOf,
): ClientOptions {
	const info = inProcessInfo(onBehalfOf);
	const fetchInProcess = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
		const request = input instanceof Request ? input : new Request(input, init);
		if (callDepth > 0) request.headers.set(CALL_DEPTH_HEADER, String(callDepth));
		return traceActorCall(request, (traced) => core.fetch(traced, info));
	};
	const WebSocketClass = class extends InProcessWebSocket {
		constructor(url: string, protocols?: string | string[]) {
			super(core, url, protocols, callDepth, onBehalfOf);
		}
	};
	return {
		// The server serves its routes under its base path, in-process too.
		endpoint: basePath === "/" ? IN_PROCESS_ENDPOINT : `${IN_PROCESS_ENDPOINT}${basePath}`,
		encoding: "cbor",
		fetch: fetchInProcess as typeof fetch,
		WebSocket: WebSocketClass as unknown as WebSocketConstructor,
	};
}
