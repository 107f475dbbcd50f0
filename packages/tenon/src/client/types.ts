// Types that turn `typeof registry` into a typed client. Type-only imports of
// server modules: nothing from the server is bundled into client code.
import type { ActorTypeInfo } from "../actor/definition.js";
import type { EventArgsOf, EventName } from "../actor/events.js";
import type { ClientQueueName, QueueBody, QueueReply } from "../actor/queues.js";
import type { ActorError } from "../protocol/errors.js";
import type { ActorKey } from "../protocol/keys.js";

/**
 * What `createClient<R>()` takes: a registry's type (`typeof registry`). Loose on purpose (any
 * actors): it refuses an actor's type or a string, which gave a client with no actors and an
 * error far from the mistake (a typing walkthrough, 2026-11-29). A function that passes its own
 * type parameter on declares it so too: `<R extends AnyRegistry>`.
 */
export interface AnyRegistry {
	readonly __actors: object;
}

/** Anything shaped like a registry: it carries its actor definitions as a phantom type. */
export interface RegistryLike {
	readonly __actors: Record<
		string,
		// biome-ignore lint/suspicious/noExplicitAny: any actor definition, whatever its type parameters (a wildcard; `unknown` fails variance checks).
		{ readonly __types: ActorTypeInfo<any, any, any, any, any, any, any, any, any, any, any, any> }
	>;
}

/** The actor definitions of a registry type. */
export type ActorsOf<R> = R extends { readonly __actors: infer A } ? A : never;

type TypesOf<D> = D extends { readonly __types: infer T } ? T : never;
type ActionsOf<D> = TypesOf<D> extends { actions: infer A } ? A : never;
/** The events an actor declares. */
export type EventsOf<D> = TypesOf<D> extends { events: infer E } ? E : never;
/** An actor's creation input. */
export type InputOf<D> = TypesOf<D> extends { input: infer I } ? I : never;
/** An actor's connection params. */
export type ConnParamsOf<D> = TypesOf<D> extends { connParams: infer P } ? P : never;
type QueuesOf<D> = TypesOf<D> extends { queues: infer Q } ? Q : never;
/** What an actor shares with its connections (`shareState`). */
export type SharedStateOf<D> = TypesOf<D> extends { sharedState: infer S } ? S : never;
/** What a client's presence holds on an actor (`presence.schema`'s output, else unknown). */
export type PresenceDataOf<D> = TypesOf<D> extends { presenceData: infer P } ? P : never;
/** One connection's presence as the others see it: who it is (said by the actor) and what it set. */
export interface PresenceOf<D> {
	/** The connection's id. */
	readonly conn: string;
	/** What the actor's `presence.identify` says about it (null without one). */
	readonly user: TypesOf<D> extends { presenceUser: infer U } ? U : never;
	readonly data: PresenceDataOf<D>;
}

/** Options of a queue send that waits for completion. */
export interface QueueSendWaitOptions {
	wait: true;
	/** Give up after this many ms (`status: "timedOut"`). */
	timeout?: number | undefined;
	signal?: AbortSignal | undefined;
}

/** Options of a queue send that returns once the message is stored. */
export interface QueueSendNoWaitOptions {
	wait?: false | undefined;
	signal?: AbortSignal | undefined;
}

/** The answer to a queue send that waited. */
export interface QueueSendResult<Reply = unknown> {
	status: "completed" | "timedOut";
	response?: Reply;
}

/** Client-side callers for an actor's actions (nested groups stay nested). */
export type ActionCallers<A> = [A] extends [never] ? {} : ActionCallersOf<A>;

type ActionCallersOf<A> = {
	// biome-ignore lint/suspicious/noExplicitAny: any actor definition, whatever its type parameters (a wildcard; `unknown` fails variance checks).
	[K in keyof A]: A[K] extends (c: any, ...args: infer P) => infer R
		? (...args: P) => Promise<Awaited<R>>
		: A[K] extends object
			? ActionCallersOf<A[K]>
			: never;
};

/** Options shared by handle getters. */
export interface HandleOptions<CP> {
	/** Connection params sent with every action and connection (see `onBeforeConnect`). */
	params?: CP | undefined;
	/** Computes params freshly for every connection attempt (e.g. to refresh a token). */
	getParams?: (() => CP | Promise<CP>) | undefined;
}

/** Options of `getOrCreate`. */
export interface GetOrCreateOptions<CP, I> extends HandleOptions<CP> {
	/** Input passed to `createState` / `onCreate` if this call creates the actor. */
	createWithInput?: I | undefined;
}

/** Options of `create`. */
export interface CreateOptions<CP, I> extends HandleOptions<CP> {
	/** Input passed to `createState` / `onCreate`. */
	input?: I | undefined;
}

/** A low-level action call. */
export interface ActionCall {
	name: string;
	args?: unknown[] | undefined;
	signal?: AbortSignal | undefined;
}

/**
 * Every action of the actions object `A` as the wire names it (`group.name`
 * for a nested group's), with its arguments and result.
 */
type ActionEntry<A, Prefix extends string = ""> = {
	[K in keyof A & string]: IsAny<A[K]> extends true
		? // An action typed `any` takes anything (recursing into it never ended).
			{ name: `${Prefix}${K}`; args: unknown[]; result: unknown }
		: // biome-ignore lint/suspicious/noExplicitAny: any context type (a wildcard; `unknown` fails variance checks).
			A[K] extends (c: any, ...args: infer P) => infer R
			? { name: `${Prefix}${K}`; args: P; result: Awaited<R> }
			: A[K] extends object
				? ActionEntry<A[K], `${Prefix}${K}.`>
				: never;
}[keyof A & string];

type IsAny<T> = 0 extends 1 & T ? true : false;
/** No actions type known (`ActorHandle<any>`, `ActorHandle<unknown>`): calls by name are untyped. */
type Untyped<D> =
	unknown extends ActionsOf<D> ? true : [ActionsOf<D>] extends [never] ? true : false;

type EntriesOf<D> = ActionEntry<ActionsOf<D>>;
type NameOfEntry<E> = E extends { name: infer N extends string } ? N : never;
type ArgsOfEntry<E, N> = E extends { name: N; args: infer P } ? P : never;
type ResultOfEntry<E, N> = E extends { name: N; result: infer R } ? R : never;

/** The names `action({ name })` takes for actor `D` (any string for an untyped client). */
export type ActionNameOf<D> = IsAny<ActionsOf<D>> extends true ? string : NameOfEntry<EntriesOf<D>>;

/** The arguments `action({ name, args })` takes: `args` may be left out when none are. */
type ArgsField<P> = [] extends P ? { args?: P | undefined } : { args: P };

/**
 * `action({ name, args, signal })` for actor `D`: the name one of its actions,
 * the arguments that action takes.
 */
export type ActionCallOf<D, N> =
	Untyped<D> extends true
		? ActionCall
		: // One object type per name: with a union of names, each keeps its own `args`.
			N extends unknown
			? { name: N; signal?: AbortSignal | undefined } & ArgsField<ArgsOfEntry<EntriesOf<D>, N>>
			: never;

/** What `action({ name })` resolves with for actor `D`. */
export type ActionResultOf<D, N> =
	Untyped<D> extends true ? unknown : ResultOfEntry<EntriesOf<D>, N>;

/** The connection status of an {@link ActorConn}. */
export type ConnStatus = "idle" | "connecting" | "connected" | "disconnected";

/**
 * Queue sends, on a handle and on a connection (which sends as its handle
 * does: one HTTP request, with the connection's params, not over its socket).
 */
export interface QueueSendMethods<D> {
	/**
	 * Sends a message to a declared queue; resolves once it is durably stored, or handed
	 * out to a receiver in the commit the send waited for (docs/queues.md, delivery guarantees).
	 */
	send<K extends ClientQueueName<QueuesOf<D>>>(
		name: K,
		...rest: BodyThen<QueueBody<QueuesOf<D>, K>, QueueSendNoWaitOptions>
	): Promise<void>;
	/** Sends a message and waits until the actor completes it (or `timeout`). */
	send<K extends ClientQueueName<QueuesOf<D>>>(
		name: K,
		body: QueueBody<QueuesOf<D>, K>,
		options: QueueSendWaitOptions,
	): Promise<QueueSendResult<QueueReply<QueuesOf<D>, K>>>;
	/** Either, as `wait` says (a boolean known only when it runs). */
	send<K extends ClientQueueName<QueuesOf<D>>>(
		name: K,
		body: QueueBody<QueuesOf<D>, K>,
		options: Omit<QueueSendWaitOptions, "wait"> & { wait?: boolean | undefined },
	): Promise<QueueSendResult<QueueReply<QueuesOf<D>, K>> | undefined>;
}

/**
 * A send's body, then its options: the body may be left out where the queue takes none
 * (`queue<void>()`: `send("tick")` wanted a body; a typing walkthrough, 2026-11-29).
 */
type BodyThen<B, O> = undefined extends B ? [body?: B, options?: O] : [body: B, options?: O];

/** Methods every connection has, beside its actions. */
export interface ActorConnMethods<D> extends QueueSendMethods<D> {
	/**
	 * None: a connection is not text or a number (its proxy answers undefined for these names, so
	 * `String(conn)` throws); print `conn.actorId`.
	 */
	readonly toString: undefined;
	/** None (see `toString`). */
	readonly valueOf: undefined;
	/** Subscribes to an event; returns the unsubscribe function. */
	on<K extends EventName<EventsOf<D>>>(
		name: K,
		callback: (...args: EventArgsOf<EventsOf<D>, K>) => void,
	): () => void;
	/** Like `on`, removed after the first event. */
	once<K extends EventName<EventsOf<D>>>(
		name: K,
		callback: (...args: EventArgsOf<EventsOf<D>, K>) => void,
	): () => void;
	/** Called with errors the server reports on this connection. */
	onError(callback: (error: ActorError) => void): () => void;
	/** Called each time the connection opens (including reconnects). */
	onOpen(callback: () => void): () => void;
	/** Called each time an open connection closes. */
	onClose(callback: () => void): () => void;
	/** Called on every status change. */
	onStatusChange(callback: (status: ConnStatus) => void): () => void;
	/** The current status. */
	readonly connStatus: ConnStatus;
	/** The actor id, once connected. */
	readonly actorId: string | undefined;
	/** The connection id, once connected. */
	readonly connectionId: string | undefined;
	/**
	 * Calls an action by name (as the wire names it: `group.name` for a nested
	 * group's), typed as the action; for a `signal` that aborts the call.
	 */
	action<N extends ActionNameOf<D>>(call: ActionCallOf<D, N>): Promise<ActionResultOf<D, N>>;
	/** Closes the connection for good. */
	dispose(): Promise<void>;
	/** The actor's shared state (`shareState`), once the first snapshot arrived (see `onSharedState`). */
	readonly sharedState: SharedStateOf<D> | undefined;
	/**
	 * Calls `callback` with the actor's shared state now (if known) and after
	 * every committed change; returns the unsubscribe function.
	 */
	onSharedState(callback: (state: SharedStateOf<D>) => void): () => void;
	/** Everyone's presence on the actor, by connection id (this connection's included). */
	readonly presence: ReadonlyMap<string, PresenceOf<D>>;
	/** Sets this client's presence (`null` clears it); the others see it until the connection ends. */
	setPresence(data: PresenceDataOf<D> | null): Promise<void>;
	/** Calls `callback` with everyone's presence now and after every change. */
	onPresence(callback: (presence: ReadonlyMap<string, PresenceOf<D>>) => void): () => void;
}

/** A realtime connection to an actor: typed actions plus events. */
export type ActorConn<D> = ActionCallers<ActionsOf<D>> & ActorConnMethods<D>;

/** Methods every handle has, beside its actions. */
export interface ActorHandleMethods<D> extends QueueSendMethods<D> {
	/**
	 * None: a handle is not text or a number (its proxy answers undefined for these names, so
	 * `String(handle)` throws); print its key or `await handle.resolve()`.
	 */
	readonly toString: undefined;
	/** None (see `toString`). */
	readonly valueOf: undefined;
	/** Opens a realtime connection (WebSocket). */
	connect(params?: ConnParamsOf<D>): ActorConn<D>;
	/** Resolves the actor id (creating the actor for `getOrCreate` handles). */
	resolve(): Promise<string>;
	/**
	 * Calls an action by name (as the wire names it: `group.name` for a nested
	 * group's), typed as the action; for a `signal` that aborts the call.
	 */
	action<N extends ActionNameOf<D>>(call: ActionCallOf<D, N>): Promise<ActionResultOf<D, N>>;
	/** A raw HTTP request to the actor's `onRequest` (path relative to the actor, e.g. `/count`). */
	fetch(path: string, init?: RequestInit): Promise<Response>;
	/** A raw WebSocket to the actor's `onWebSocket`. */
	webSocket(path?: string, protocols?: string | string[]): Promise<WebSocket>;
}

/** A stateless handle to one actor: every action is one HTTP request. */
export type ActorHandle<D> = ActionCallers<ActionsOf<D>> & ActorHandleMethods<D>;

/** Ways to address the actors of one name. */
export interface ActorAccessor<D> {
	/** A handle to an existing actor; calls fail with `actor/not_found` if there is none. */
	get(key?: ActorKey, options?: HandleOptions<ConnParamsOf<D>>): ActorHandle<D>;
	/** A handle that creates the actor on first use if it does not exist. */
	getOrCreate(
		key?: ActorKey,
		options?: GetOrCreateOptions<ConnParamsOf<D>, InputOf<D>>,
	): ActorHandle<D>;
	/** Creates the actor now; fails with `actor/duplicate_key` if the key is taken. */
	create(
		key?: ActorKey,
		options?: CreateOptions<ConnParamsOf<D>, InputOf<D>>,
	): Promise<ActorHandle<D>>;
	/** A handle to an actor by id. */
	getForId(actorId: string, options?: HandleOptions<ConnParamsOf<D>>): ActorHandle<D>;
}

/** Methods on the client itself. */
export interface ClientMethods {
	/** Closes every connection this client opened. */
	dispose(): Promise<void>;
}

/** The typed client for a registry: one accessor per actor name. */
export type Client<R> = { [K in keyof ActorsOf<R>]: ActorAccessor<ActorsOf<R>[K]> } & ClientMethods;
