import type { AnyActorDefinition } from "../actor/definition.js";
import type { ResolvedActorOptions } from "../actor/options.js";
import type { Clock } from "../common/clock.js";
import { callAsync, withTimeout } from "../common/timeouts.js";
import { type ActorError, errors } from "../protocol/errors.js";
import type { ActorCore } from "./actor-core.js";
import type { Caller } from "./caller.js";
import type { ConnectionImpl } from "./connections/connection.js";
import { type CloseKind, closeCodeFor, closeReason } from "./connections/connection-hub.js";
import { type RawSocketTransport, RawWebSocketImpl } from "./connections/raw-websocket.js";
import { ActionContextImpl, type ContextHost } from "./context-impl.js";

/** How raw WebSockets are closed when the actor stops. */
const RAW_CLOSE: Record<CloseKind, [number, string]> = {
	sleep: [1012, "actor.sleeping"],
	destroy: [1000, "actor.destroyed"],
	shutdown: [1001, "core.shutting_down"],
};

/** What the raw endpoints need from their actor instance. */
export interface RawEndpointHost extends ActorCore {
	readonly options: ResolvedActorOptions;
	readonly clock: Clock;
	track<T>(promise: Promise<T>): Promise<T>;
	afterTurn(): void;
	maybeIdle(): void;
	publicError(error: unknown, where: string): ActorError;
}

/** The outcome of opening a raw socket; on refusal the transport was closed already. */
export type OpenedRawSocket = { ok: true; socket: RawWebSocketImpl } | { ok: false };

/** The instance's own steps the endpoints run (private to it). */
export interface RawEndpointSteps {
	readonly config: AnyActorDefinition["config"];
	/** What the handlers' contexts reach. */
	readonly contexts: ContextHost;
	/** Runs `work`, then releases its result through the output gate. */
	gated<T>(where: string, work: () => Promise<T>): Promise<T>;
	/** A connection for one request or socket, after the connect hooks. */
	prepareConn(caller: Caller): Promise<ConnectionImpl>;
}

/**
 * An actor's raw HTTP (`onRequest`) and raw WebSocket (`onWebSocket`)
 * endpoints, and the raw sockets it holds open. Made on first use.
 */
export class RawEndpoints {
	readonly #host: RawEndpointHost;
	readonly #steps: RawEndpointSteps;
	readonly #sockets = new Set<RawWebSocketImpl>();

	constructor(host: RawEndpointHost, steps: RawEndpointSteps) {
		this.#host = host;
		this.#steps = steps;
	}

	/** Raw WebSockets still open (they keep the actor awake). */
	get openSockets(): number {
		return this.#sockets.size;
	}

	/** `/request/*`: the actor's `onRequest`, its response released through the output gate. */
	handleRequest(request: Request, caller: Caller): Promise<Response> {
		const host = this.#host;
		const steps = this.#steps;
		const onRequest = steps.config.onRequest;
		if (!onRequest) return Promise.reject(errors.handlerNotFound("onRequest"));
		return steps.gated("onRequest", async () => {
			const conn = await host.track(steps.prepareConn(caller));
			const context = new ActionContextImpl(this.#steps.contexts, conn, undefined, caller.request);
			const timeout = host.options.actionTimeout;
			const response = await withTimeout(
				host.track(callAsync(() => onRequest(context, request))),
				host.clock,
				timeout,
				() => errors.actionTimedOut("onRequest", timeout),
			);
			if (!(response instanceof Response)) throw new TypeError("onRequest must return a Response");
			host.afterTurn();
			return response;
		});
	}

	/** `/websocket/*`: hands a raw WebSocket to `onWebSocket` (on refusal the socket is closed). */
	async openWebSocket(
		url: string,
		caller: Caller,
		transport: RawSocketTransport,
	): Promise<OpenedRawSocket> {
		const host = this.#host;
		const onWebSocket = this.#steps.config.onWebSocket;
		try {
			if (!onWebSocket) throw errors.handlerNotFound("onWebSocket");
			const max = host.limits.maxConnectionsPerActor;
			if (host.connectionCount >= max) throw errors.tooManyConnections("actor", max);
			const conn = await host.track(this.#steps.prepareConn(caller));
			const socket = new RawWebSocketImpl(host, url, transport);
			this.#sockets.add(socket);
			const context = new ActionContextImpl(this.#steps.contexts, conn, undefined, caller.request);
			await host.track(callAsync(() => onWebSocket(context, socket)));
			host.afterTurn();
			return { ok: true, socket };
		} catch (error) {
			const shown = host.publicError(error, "onWebSocket");
			transport.close(closeCodeFor(shown), closeReason(`${shown.group}.${shown.code}`));
			return { ok: false };
		}
	}

	/** A raw WebSocket closed. */
	socketClosed(socket: RawWebSocketImpl, code: number, reason: string): void {
		socket.closed(code, reason);
		this.#sockets.delete(socket);
		this.#host.maybeIdle();
	}

	/** Closes every raw socket because the actor stops (`kind`) or failed (`undefined`). */
	closeAll(kind: CloseKind | undefined): void {
		const [code, reason] = kind === undefined ? [1011, "core.internal_error"] : RAW_CLOSE[kind];
		for (const socket of this.#sockets) socket.close(code, reason);
	}
}
