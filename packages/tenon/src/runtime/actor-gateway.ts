// The one port between the server and the runtime. The server turns bytes
// into calls (routes, encodings, limits, origins, credentials) and calls this
// gateway; everything about actors (finding, waking, creating, undoing a
// refused creation, retrying across a sleep, hooks, turns, the output gate)
// happens behind it. `server/` imports nothing else from `runtime/`.

import { ActorError } from "../protocol/errors.js";
import type { ActionId, ToServer } from "../protocol/messages.js";
import type { ActorRecord, ActorStore, ClusterMembership } from "../storage/interfaces.js";
import { ActorInspector } from "./actor-inspector.js";
import type { ActorInstance } from "./actor-instance.js";
import type { ActorTarget } from "./actor-target.js";
import { type Caller, isAccepted } from "./caller.js";
import type { ResumeRequest } from "./connections/conn-opening.js";
import { loadConnRecords } from "./connections/conn-records.js";
import type { ConnTransport } from "./connections/connection.js";
import type { ConnectionLinks } from "./connections/links.js";
import type { RawSocketTransport } from "./connections/raw-websocket.js";
import { queueErrors } from "./queue-errors.js";
import type { QueueSendResult } from "./queue-manager.js";
import { readQueueContents } from "./queue-records.js";
import { queueSendLimit } from "./queue-send-limit.js";
import type { ReadinessReport } from "./readiness.js";
import type { Runtime } from "./runtime.js";
import { isStoppingRefusal } from "./stopping-refusal.js";

export type {
	ActorInspector,
	ActorSummary,
	InspectorAudit,
	KvEntry,
	ScheduleView,
	SentEvent,
	TurnOrigin,
	TurnRecord,
} from "./actor-inspector.js";
export type { ActorTarget } from "./actor-target.js";
export { validateNamespace } from "./actor-target.js";
export { type Caller, isAccepted } from "./caller.js";
export { CLOSE, closeCodeFor, closeCodeOf, closeReason } from "./connections/close-codes.js";
export type { ResumeRequest } from "./connections/conn-opening.js";
export type { ConnSocket } from "./connections/conn-socket.js";
export type { ConnTransport } from "./connections/connection.js";
export {
	type ConnectionLinks,
	LINK_HIBERNATE,
	type LinkOutcome,
	takenByOwner,
} from "./connections/links.js";
export type { RawSocketTransport } from "./connections/raw-websocket.js";
export type { ReadinessReport } from "./readiness.js";
export type { Runtime } from "./runtime.js";

/** Where a call goes: an actor by id, or by name and key (get, getOrCreate, create). */
export interface ActorAddress {
	readonly namespace: string;
	readonly target: ActorTarget;
}

/** How long a queue sender waits, and what ends the wait early. */
export interface QueueWait {
	waitMs: number;
	signal: AbortSignal | undefined;
}

/** A `/connect` socket the actor accepted: the server feeds it decoded frames. */
export interface OpenConnection {
	/**
	 * A decoded client message: an action or a subscription change; `bytes`,
	 * its frame's size, counts against the transport's `holdCall` while an action runs.
	 */
	receive(message: ToServer, bytes?: number): void;
	/** Answers a frame that did not decode (tied to its action id when readable). */
	refuse(error: ActorError, actionId: ActionId | null): void;
	/** The client went away (idempotent); `code` 1006: its socket was lost, not closed by it. */
	closed(code?: number): void;
}

/** A `/websocket/*` socket the actor's `onWebSocket` took. */
export interface OpenRawSocket {
	receive(data: string | Uint8Array): void;
	closed(code: number, reason: string): void;
}

/** What the inspector reads about one actor (committed data; the actor may sleep). */
export interface InspectedActor {
	readonly actorId: string;
	readonly name: string;
	/** The actor's `run` handler (the inspector asks whether it is a workflow). */
	readonly run: unknown;
	readonly databaseEnabled: boolean;
	readonly store: ActorStore;
}

/** An actor's stored connections, as the inspector shows them. */
export interface InspectedConnections {
	readonly actorStatus: "awake" | "sleeping";
	readonly connections: readonly {
		readonly id: string;
		readonly kind: "connect" | "raw";
		readonly status: "connected" | "hibernated" | "detached";
		readonly params: unknown;
		readonly state: unknown;
		readonly subscriptions: readonly string[];
		readonly createdAt: number;
		readonly url?: string;
	}[];
}

/** The server's view of the runtime: calls on actors, the directory, and settings. */
export class ActorGateway {
	readonly #runtime: Runtime;
	/** The inspector's operations: listing with status, state edits, time travel, KV. */
	readonly inspector: ActorInspector;

	constructor(runtime: Runtime) {
		this.#runtime = runtime;
		this.inspector = new ActorInspector(runtime);
	}

	get limits(): Runtime["limits"] {
		return this.#runtime.limits;
	}
	get logger(): Runtime["logger"] {
		return this.#runtime.logger;
	}
	get exposeInternalErrors(): boolean {
		return this.#runtime.exposeInternalErrors;
	}
	/** Counts an error answer to a request or an upgrade (`tenon_http_errors_total`). */
	requestFailed(error: unknown): void {
		this.#runtime.metrics.requestFailed(error);
	}
	/** Whether this node should get traffic (`GET /ready`). */
	readiness(): Promise<ReadinessReport> {
		return this.#runtime.readiness.check();
	}
	/** This node's cluster membership, in cluster mode. */
	get cluster(): ClusterMembership | undefined {
		return this.#runtime.cluster;
	}

	/** The longest body a queue send may have (see {@link queueSendLimit}). */
	get maxQueueSendBytes(): number {
		this.#maxQueueSendBytes ??= queueSendLimit(this.#runtime.host, this.limits);
		return this.#maxQueueSendBytes;
	}
	#maxQueueSendBytes: number | undefined;

	/** Refuses a queue send body of `bytes` over {@link maxQueueSendBytes} (before it is decoded). */
	checkQueueSendBody(bytes: number): void {
		const limit = this.maxQueueSendBytes;
		if (bytes > limit) throw queueErrors.sendTooLarge(bytes, limit);
	}

	/** The registry's names, for what a client chose to show only when it is one (spans). */
	readonly known = {
		actor: (name: string): boolean => this.#runtime.host.hasType(name),
		action: (name: string | undefined, action: string): boolean =>
			this.#runtime.host.hasAction(name, action),
		queue: (name: string | undefined, queue: string): boolean =>
			this.#runtime.host.hasQueue(name, queue),
	};

	// ---- Calls ---------------------------------------------------------------------

	/**
	 * A stateless action; `encode` turns its output into the reply at the end
	 * of its turn. On an awake actor addressed by id, an action that settles
	 * as it runs with nothing to wait for is answered at once (no promise).
	 */
	action<R>(
		address: ActorAddress,
		name: string,
		args: unknown[],
		caller: Caller,
		encode: (output: unknown) => R,
	): R | Promise<R> {
		const call = (instance: ActorInstance) => instance.calls.httpAction(name, args, caller, encode);
		const target = address.target;
		const awake =
			target.kind === "id" ? this.#runtime.host.awakeInstance(target.actorId) : undefined;
		if (awake === undefined || awake.namespace !== address.namespace)
			return this.#withActor(address, caller, call);
		// What #withActor does on its first attempt, for an instance it did not create.
		let result: R | Promise<R>;
		try {
			result = call(awake);
		} catch (error) {
			return this.#retryStopped(error, awake, address, caller, call);
		}
		return result instanceof Promise
			? result.catch((error: unknown) => this.#retryStopped(error, awake, address, caller, call))
			: result;
	}

	/** Enqueues a message durably; with `wait`, answers with its completion (encoded by `encode`). */
	queueSend<R>(
		address: ActorAddress,
		name: string,
		body: unknown,
		caller: Caller,
		wait: false | QueueWait,
		encode: (result: QueueSendResult) => R,
	): Promise<R> {
		return this.#withActor(address, caller, (instance) =>
			instance.calls.httpQueueSend(
				name,
				body,
				caller,
				wait !== false,
				wait === false ? { waitMs: 0, signal: undefined } : wait,
				encode,
			),
		);
	}

	/** A raw HTTP request to the actor's `onRequest`. */
	request(address: ActorAddress, request: Request, caller: Caller): Promise<Response> {
		return this.#withActor(address, caller, (instance) =>
			instance.calls.handleRequest(request, caller),
		);
	}

	/**
	 * Finds the actor, waking or creating it, without calling it. Throws what
	 * finding it throws (in a cluster, `OwnedElsewhereError` names the owner).
	 */
	async prepare(address: ActorAddress, caller: Caller): Promise<{ created: boolean }> {
		const { created } = await this.#runtime.host.instanceForCall(
			address.namespace,
			address.target,
			caller,
		);
		return { created };
	}

	/**
	 * Opens a connection: the actor's connect hooks run and `Init` is sent
	 * through `transport`. With `resume` (the connection id and secret of a
	 * connection whose socket was lost), that connection continues instead,
	 * with its conn state. Undefined when the hooks refused the caller (the
	 * error frame and the close went out through `transport`); a creation
	 * this caller caused is then undone. Throws when the actor cannot be found.
	 */
	async connect(
		address: ActorAddress,
		caller: Caller,
		transport: ConnTransport,
		createdHere = false,
		resume?: ResumeRequest,
	): Promise<OpenConnection | undefined> {
		return this.#openSocket(address, caller, createdHere, async (instance) => {
			// The node holds the socket: it outlives the actor's wake (connections hibernate).
			const socket = this.#runtime.host.sockets.open(instance.actorId, transport);
			return (await instance.openConnection(caller, socket, resume)) ? socket : undefined;
		});
	}

	/** Hands a raw socket to the actor's `onWebSocket`; undefined when refused (as {@link connect}). */
	async openRawSocket(
		address: ActorAddress,
		url: string,
		caller: Caller,
		transport: RawSocketTransport,
		createdHere = false,
	): Promise<OpenRawSocket | undefined> {
		return this.#openSocket(address, caller, createdHere, async (instance) => {
			const socket = this.#runtime.host.sockets.openRaw(instance.actorId, transport);
			const opened = await instance.calls.openRawWebSocket(url, caller, socket);
			return opened.ok ? socket : undefined;
		});
	}

	// ---- The directory (management REST) ---------------------------------------------

	get actorNames(): string[] {
		return this.#runtime.host.actorNames;
	}

	/** A live actor by id (in `namespace` when given), or `actor/not_found`. */
	getActor(actorId: string, namespace?: string): Promise<ActorRecord> {
		return this.#runtime.host.getLiveRecord(actorId, namespace);
	}

	/** A live actor by name and key, or undefined. */
	async findActor(
		namespace: string,
		name: string,
		key: string[],
	): Promise<ActorRecord | undefined> {
		try {
			const { record } = await this.#runtime.host.resolve(namespace, {
				kind: "key",
				name,
				key,
				method: "get",
			});
			return record;
		} catch (error) {
			if (error instanceof ActorError && error.code === "not_found") return undefined;
			throw error;
		}
	}

	listActors(namespace: string, name: string, limit: number, after?: string) {
		return this.#runtime.host.listActors(namespace, name, limit, after);
	}

	async createActor(
		namespace: string,
		name: string,
		key: string[],
		input: Uint8Array | undefined,
		failIfExists: boolean,
		caller: Caller,
	): Promise<{ record: ActorRecord; created: boolean }> {
		const host = this.#runtime.host;
		const made = await host.create(namespace, name, key, input, failIfExists, caller, true);
		// One with a `run` starts it (it waited for a first call: a walkthrough, 2026-11-28).
		if (made.created && host.definition(name).config.run !== undefined)
			void host.instanceFor(made.record).catch((error: unknown) => {
				this.#runtime.logger.debug("a created actor's run did not start here", { error });
			});
		return made;
	}

	destroyActor(actorId: string, namespace?: string): Promise<void> {
		return this.#runtime.host.destroy(actorId, namespace);
	}

	isAwake(actorId: string): boolean {
		return this.#runtime.host.awakeInstance(actorId) !== undefined;
	}

	// ---- The inspector -------------------------------------------------------------

	async inspect(actorId: string): Promise<InspectedActor> {
		const record = await this.#runtime.host.getLiveRecord(actorId);
		const config = this.#runtime.host.definition(record.name).config;
		return {
			actorId,
			name: record.name,
			run: config.run,
			databaseEnabled: config.db !== undefined,
			store: this.#runtime.storage.store,
		};
	}

	/**
	 * An actor's connections as stored (committed), each with where its
	 * socket is: `connected` (the awake actor handles it), `hibernated` (this
	 * node holds it open while the actor sleeps) or `detached` (no socket on
	 * this node: lost in a restart and not resumed yet, or held by another node).
	 */
	async connections(actorId: string): Promise<InspectedConnections> {
		const host = this.#runtime.host;
		await host.getLiveRecord(actorId);
		const records = await loadConnRecords(this.#runtime.storage.store, actorId, () =>
			this.#runtime.logger.child({ module: "actor", actorId }),
		);
		const sockets = new Map<string, { attached: boolean }>();
		for (const socket of [
			...host.sockets.socketsOf(actorId),
			...host.sockets.rawSocketsOf(actorId),
		])
			if (socket.connId !== undefined) sockets.set(socket.connId, socket);
		const awake = host.awakeInstance(actorId) !== undefined;
		return {
			actorStatus: awake ? "awake" : "sleeping",
			connections: [...records].map(([id, record]) => {
				const socket = sockets.get(id);
				return {
					id,
					kind: record.kind,
					status: socket === undefined ? "detached" : socket.attached ? "connected" : "hibernated",
					params: record.params,
					state: record.state,
					subscriptions: record.subscriptions,
					createdAt: record.createdAt,
					...(record.url === undefined ? {} : { url: record.url }),
				};
			}),
		};
	}

	/**
	 * Another node (the owner) woke `actorId` and asks this node to link the
	 * sockets it holds for the actor's connections (cluster peers only).
	 */
	linkHeld(actorId: string): void {
		this.#runtime.host.sockets.linkHeld(actorId);
	}

	/** Lets connections reach across the cluster (a cluster node sets this as it starts serving). */
	setLinks(links: ConnectionLinks): void {
		this.#runtime.host.setLinks(links);
	}

	/** Sockets this node holds, and how many of them hibernate (their actors sleep). */
	socketStats(): { sockets: number; hibernated: number } {
		const sockets = this.#runtime.host.sockets;
		return { sockets: sockets.size, hibernated: sockets.hibernatedCount };
	}

	queueContents(actorId: string, max: number) {
		return readQueueContents(this.#runtime.storage.store, actorId, max);
	}

	// ---- Internals -------------------------------------------------------------------

	/**
	 * Runs `call` on the actor. If the actor began to sleep between lookup and
	 * call (`actor/stopping`: it refused before running anything), it is retried
	 * once on the freshly woken actor. If this call created the actor (a
	 * `getOrCreate`) and failed before the actor's connect hooks accepted the
	 * caller (they refused it, or there was nothing to call), the creation is
	 * undone: a caller that was never accepted leaves no actor behind.
	 */
	async #withActor<T>(
		address: ActorAddress,
		caller: Caller,
		call: (instance: ActorInstance) => T | Promise<T>,
		firstAttempt = 0,
	): Promise<T> {
		for (let attempt = firstAttempt; ; attempt++) {
			const { instance, created } = await this.#runtime.host.instanceForCall(
				address.namespace,
				address.target,
				caller,
			);
			try {
				return await call(instance);
			} catch (error) {
				if (created && !isAccepted(caller)) await this.#undoCreation(instance);
				if (!isStoppingRefusal(error) || attempt > 0) throw error;
				await instance.stopped;
			}
		}
	}

	/**
	 * A call refused with `actor/stopping` (the instance began to stop before
	 * it ran) is made once more, on the next instance; any other error is the
	 * call's. As #withActor's first attempt, on an instance this call did not
	 * create.
	 */
	async #retryStopped<T>(
		error: unknown,
		instance: ActorInstance,
		address: ActorAddress,
		caller: Caller,
		call: (instance: ActorInstance) => T | Promise<T>,
	): Promise<T> {
		if (!isStoppingRefusal(error)) throw error;
		await instance.stopped;
		return this.#withActor(address, caller, call, 1);
	}

	/**
	 * Finds the actor and lets `open` hand it a socket. When the actor's hooks
	 * refuse (`open` gives undefined), a creation this caller caused, here or
	 * in the upgrade (`createdHere`), is undone.
	 */
	async #openSocket<T>(
		address: ActorAddress,
		caller: Caller,
		createdHere: boolean,
		open: (instance: ActorInstance) => Promise<T | undefined>,
	): Promise<T | undefined> {
		const { instance, created } = await this.#runtime.host.instanceForCall(
			address.namespace,
			address.target,
			caller,
		);
		const opened = await open(instance);
		if (opened === undefined && (created || createdHere) && !isAccepted(caller))
			await this.#undoCreation(instance);
		return opened;
	}

	/**
	 * Destroys an actor this request created for a caller that was never
	 * accepted, unless another caller was accepted meanwhile (it would lose an
	 * actor it uses, and writes it was told are durable) or a REST create
	 * answered with it (see ActorCreation).
	 */
	async #undoCreation(instance: ActorInstance): Promise<void> {
		await this.#runtime.host.creations.undo(instance).catch((error: unknown) => {
			this.#runtime.logger.warn("could not undo the creation of a refused caller's actor", {
				actorId: instance.actorId,
				error,
			});
		});
	}
}
