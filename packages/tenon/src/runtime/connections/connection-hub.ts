import type { Conn } from "../../actor/context.js";
import type { AccessCheck, EventDecls } from "../../actor/events.js";
import { callAsync, withTimeout } from "../../common/timeouts.js";
import { type Encoding, encodedLength } from "../../protocol/encoding.js";
import { errors, httpStatusFor, toErrorPayload } from "../../protocol/errors.js";
import { type ActionId, encodeToClient, type ToServer } from "../../protocol/messages.js";
import type { ActorCore } from "../actor-core.js";
import type { Caller } from "../caller.js";
import type { ConnectionImpl, ConnOwner, ConnTransport } from "./connection.js";

/** WebSocket close codes the runtime uses. */
export const CLOSE = {
	normal: 1000,
	goingAway: 1001,
	policy: 1008,
	tooBig: 1009,
	internal: 1011,
	restart: 1012,
	tryAgainLater: 1013,
} as const;

/** Why open connections are being closed. */
export type CloseKind = "sleep" | "destroy" | "shutdown";

/** WebSocket close reasons are limited to 123 bytes. */
export function closeReason(text: string): string {
	return text.length > 120 ? text.slice(0, 120) : text;
}

/**
 * Close code for an error that ends a connection: "try again later" for
 * limits (the client backs off and reconnects), policy for other caller
 * mistakes (it does not), internal otherwise.
 */
export function closeCodeFor(payload: { group: string; code: string }): number {
	if (payload.group === "limit") return CLOSE.tryAgainLater;
	const status = httpStatusFor(payload.group, payload.code);
	return status >= 400 && status < 500 ? CLOSE.policy : CLOSE.internal;
}

/** The outcome of opening a connection; on refusal the transport was closed already. */
export type OpenedConnection = { ok: true; conn: ConnectionImpl } | { ok: false };

/** Connection hooks of the actor definition. */
export interface ConnectionHooks {
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	onConnect?: ((c: any, conn: Conn<any, any, any>) => void | Promise<void>) | undefined;
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	onDisconnect?: ((c: any, conn: Conn<any, any, any>) => void | Promise<void>) | undefined;
	/** Event declarations (their `canSubscribe` checks). */
	events?: EventDecls | undefined;
}

/**
 * An actor's realtime connections: opening them (hooks, `Init`), actions and
 * subscriptions on them, events through the output gate, and closing them.
 */
export class ConnectionHub implements ConnOwner {
	readonly #core: ActorCore;
	readonly #hooks: ConnectionHooks;
	readonly #context: unknown;
	/** The `c` an access check of `conn` gets. */
	readonly #checkContext: (conn: ConnectionImpl) => Parameters<AccessCheck>[0];
	readonly #prepare: (
		caller: Caller,
		transport: ConnTransport | undefined,
	) => Promise<ConnectionImpl>;
	readonly conns = new Map<string, ConnectionImpl>();

	constructor(
		core: ActorCore,
		hooks: ConnectionHooks,
		context: unknown,
		prepare: (caller: Caller, transport: ConnTransport | undefined) => Promise<ConnectionImpl>,
		checkContext: (conn: ConnectionImpl) => Parameters<AccessCheck>[0],
	) {
		this.#checkContext = checkContext;
		this.#core = core;
		this.#hooks = hooks;
		this.#context = context;
		this.#prepare = prepare;
	}

	get size(): number {
		return this.conns.size;
	}

	#enqueue(conn: ConnectionImpl, frame: string | Uint8Array): void {
		const generation = this.#core.outputGeneration();
		conn.enqueue(frame, generation, this.#core.durableGeneration);
	}

	/**
	 * Opens a realtime connection: connect hooks, registration, `onConnect`,
	 * then `Init` through the output gate. On rejection the transport gets an
	 * `Error` frame and is closed with a code (1008 for caller errors, 1011
	 * otherwise) and a `group.code` reason.
	 */
	async open(caller: Caller, transport: ConnTransport): Promise<OpenedConnection> {
		let conn: ConnectionImpl | undefined;
		try {
			const max = this.#core.limits.maxConnectionsPerActor;
			if (this.#core.connectionCount >= max) throw errors.tooManyConnections("actor", max);
			conn = await this.#core.track(this.#prepare(caller, transport));
			this.conns.set(conn.id, conn);
			const onConnect = this.#hooks.onConnect;
			if (onConnect) {
				const opened = conn;
				const timeout = this.#core.options.connectTimeout;
				await this.#core.track(
					withTimeout(
						callAsync(() => onConnect(this.#context, opened)),
						this.#core.clock,
						timeout,
						() => errors.hookTimedOut("onConnect", timeout),
					),
				);
			}
			this.#core.afterTurn();
		} catch (error) {
			if (conn) {
				this.conns.delete(conn.id);
				conn.closed = true;
			}
			const payload = toErrorPayload(
				this.#core.publicError(error, "connect"),
				this.#core.exposeInternalErrors,
			);
			transport.send(
				encodeToClient(transport.encoding, { tag: "Error", error: payload, actionId: null }),
			);
			transport.close(closeCodeFor(payload), closeReason(`${payload.group}.${payload.code}`));
			this.#core.maybeIdle();
			return { ok: false };
		}
		this.#enqueue(
			conn,
			encodeToClient(transport.encoding, {
				tag: "Init",
				actorId: this.#core.actorId,
				connectionId: conn.id,
			}),
		);
		return { ok: true, conn };
	}

	/** Handles one decoded message from a connection. */
	handleMessage(conn: ConnectionImpl, message: ToServer): void {
		switch (message.tag) {
			case "SubscriptionRequest":
				this.#subscription(conn, message.eventName, message.subscribe);
				return;
			case "ActionRequest": {
				const max = this.#core.limits.maxInFlightActionsPerConnection;
				if (conn.inFlight >= max) {
					this.sendError(conn, errors.tooManyInFlight(max), message.id);
					return;
				}
				conn.inFlight++;
				void this.#action(conn, message.id, message.name, message.args).finally(() => {
					conn.inFlight--;
				});
				return;
			}
		}
	}

	/**
	 * Applies a subscription change. An event with `canSubscribe` is checked
	 * first; changes of one connection apply in the order they arrived even
	 * while a check is pending.
	 */
	#subscription(conn: ConnectionImpl, eventName: string, subscribe: boolean): void {
		const check = subscribe ? this.#canSubscribe(eventName) : undefined;
		const apply = (allowed: boolean) => {
			const max = this.#core.limits.maxSubscriptionsPerConnection;
			if (!subscribe) conn.subscriptions.delete(eventName);
			else if (allowed && !conn.subscriptions.has(eventName) && conn.subscriptions.size >= max)
				this.sendError(conn, errors.tooManySubscriptions(max), null);
			else if (allowed) conn.subscriptions.add(eventName);
			else
				this.sendError(
					conn,
					errors.forbidden(`subscribing to '${eventName}' is not allowed`, { eventName }),
					null,
				);
		};
		if (check === undefined && conn.subscriptionsPending === undefined) {
			apply(true);
			return;
		}
		const previous = conn.subscriptionsPending ?? Promise.resolve();
		const next = previous.then(async () => {
			if (conn.closed) return;
			let allowed = true;
			if (check !== undefined) {
				try {
					allowed =
						(await this.#core.track(callAsync(() => check(this.#checkContext(conn))))) === true;
				} catch (error) {
					this.#core.publicError(error, `canSubscribe of '${eventName}'`);
					allowed = false;
				}
			}
			if (!conn.closed) apply(allowed);
		});
		conn.subscriptionsPending = next;
		void next.finally(() => {
			if (conn.subscriptionsPending === next) conn.subscriptionsPending = undefined;
		});
	}

	#canSubscribe(eventName: string): AccessCheck | undefined {
		const events = this.#hooks.events;
		if (events === undefined || !Object.hasOwn(events, eventName)) return undefined;
		return events[eventName]?.canSubscribe;
	}

	/** Sends an error for an action id (or the connection) through the gate. */
	sendError(conn: ConnectionImpl, error: unknown, actionId: ActionId | null): void {
		if (conn.transport === undefined) return;
		const payload = toErrorPayload(error, this.#core.exposeInternalErrors);
		this.#enqueue(
			conn,
			encodeToClient(conn.transport.encoding, { tag: "Error", error: payload, actionId }),
		);
	}

	async #action(conn: ConnectionImpl, id: ActionId, name: string, args: unknown[]): Promise<void> {
		const encoding = (conn.transport as ConnTransport).encoding;
		let frame: string | Uint8Array;
		try {
			const output = await this.#core.invoke(name, args, conn);
			frame = encodeToClient(encoding, { tag: "ActionResponse", id, output });
			const limit = this.#core.limits.maxOutgoingMessageBytes;
			if (encodedLength(frame) > limit)
				throw errors.outgoingTooLong(`The response of '${name}'`, limit);
		} catch (error) {
			const payload = toErrorPayload(
				this.#core.publicError(error, `action '${name}'`),
				this.#core.exposeInternalErrors,
			);
			frame = encodeToClient(encoding, { tag: "Error", error: payload, actionId: id });
		}
		if (conn.closed) return;
		this.#enqueue(conn, frame);
	}

	/** The socket of `conn` closed: unregister it and run `onDisconnect`. */
	closed(conn: ConnectionImpl, actorAwake: boolean): void {
		if (conn.closed) return;
		conn.closed = true;
		conn.dropHeld();
		if (!this.conns.delete(conn.id)) return;
		const onDisconnect = this.#hooks.onDisconnect;
		if (onDisconnect && actorAwake) {
			void this.#core
				.track(callAsync(() => onDisconnect(this.#context, conn)))
				.catch((error: unknown) => this.#core.log.error("onDisconnect threw", { error }));
		} else {
			this.#core.maybeIdle();
		}
	}

	#eventFrame(encoding: Encoding, name: string, args: unknown[]): string | Uint8Array {
		const frame = encodeToClient(encoding, { tag: "Event", name, args: this.#core.toRaw(args) });
		const limit = this.#core.limits.maxOutgoingMessageBytes;
		if (encodedLength(frame) > limit) throw errors.outgoingTooLong(`Event '${name}'`, limit);
		return frame;
	}

	/** Sends an event to every subscribed connection (each frame encoded once per encoding). */
	broadcast(name: string, args: unknown[]): void {
		const targets: ConnectionImpl[] = [];
		for (const conn of this.conns.values())
			if (!conn.closed && conn.subscriptions.has(name)) targets.push(conn);
		if (targets.length === 0) return;
		const frames = new Map<Encoding, string | Uint8Array>();
		for (const conn of targets) {
			const encoding = (conn.transport as ConnTransport).encoding;
			if (!frames.has(encoding)) frames.set(encoding, this.#eventFrame(encoding, name, args));
		}
		const generation = this.#core.outputGeneration();
		const durable = this.#core.durableGeneration;
		for (const conn of targets) {
			conn.enqueue(
				frames.get((conn.transport as ConnTransport).encoding) as string | Uint8Array,
				generation,
				durable,
			);
		}
	}

	sendEvent(conn: ConnectionImpl, name: string, args: unknown[]): void {
		if (conn.closed || conn.transport === undefined || !conn.subscriptions.has(name)) return;
		this.#enqueue(conn, this.#eventFrame(conn.transport.encoding, name, args));
	}

	disconnect(conn: ConnectionImpl, reason: string | undefined): void {
		if (conn.closed || conn.transport === undefined) return;
		// Let frames already held (replies, events) go out first.
		const generation = this.#core.outputGeneration();
		void this.#core.whenDurable(generation).then(
			() => {
				conn.release(this.#core.durableGeneration);
				conn.transport?.close(CLOSE.normal, closeReason(reason ?? "actor.disconnect"));
			},
			() => {},
		);
	}

	/** Sends held frames whose writes are now durable. */
	release(generation: number): void {
		for (const conn of this.conns.values()) if (conn.hasHeldFrames) conn.release(generation);
	}

	/** Closes every connection (after sending what is durable). */
	closeAll(kind: CloseKind): void {
		const [code, reason] =
			kind === "destroy"
				? [CLOSE.normal, "actor.destroyed"]
				: kind === "sleep"
					? [CLOSE.restart, "actor.sleeping"]
					: [CLOSE.goingAway, "core.shutting_down"];
		for (const conn of [...this.conns.values()]) {
			conn.release(this.#core.durableGeneration);
			conn.closed = true;
			conn.transport?.close(code, reason);
		}
		this.conns.clear();
	}

	/** Drops every connection without sending held frames (the actor is being reset). */
	dropAll(): void {
		for (const conn of [...this.conns.values()]) {
			conn.dropHeld();
			conn.closed = true;
			conn.transport?.close(CLOSE.internal, "core.internal_error");
		}
		this.conns.clear();
	}
}
