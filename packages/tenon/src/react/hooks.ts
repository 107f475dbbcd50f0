import {
	useCallback,
	useEffect,
	useLayoutEffect,
	useRef,
	useState,
	useSyncExternalStore,
} from "react";
import type { EventArgsOf, EventName } from "../actor/events.js";
import type {
	ActorConn,
	ActorsOf,
	Client,
	ConnParamsOf,
	ConnStatus,
	EventsOf,
	InputOf,
	PresenceDataOf,
	PresenceOf,
	SharedStateOf,
} from "../client/types.js";
import { bytesToBase64 } from "../protocol/bytes.js";
import { cborEncodeCompat } from "../protocol/encoding.js";
import type { ActorError } from "../protocol/errors.js";
import type { ActorKey } from "../protocol/keys.js";
import { type CacheEntry, ConnectionCache } from "./connection-cache.js";

/** Which actor a component connects to. */
export interface UseActorOptions<D, N extends string = string> {
	/** The actor's name in the registry. */
	name: N;
	key?: ActorKey | undefined;
	/** Connection params (checked by the actor's `onBeforeConnect`). */
	params?: ConnParamsOf<D> | undefined;
	/** Input for `createState` if this connection creates the actor. */
	createWithInput?: InputOf<D> | undefined;
	/** False: no connection (yet), e.g. until the user signed in. Default true. */
	enabled?: boolean | undefined;
}

/** A component's view of its connection. */
export interface UseActorResult<D> {
	/** The shared connection (undefined until the effect ran, or while disabled). */
	connection: ActorConn<D> | undefined;
	/** `connecting`, `connected`, `disconnected` (reconnecting) or `idle`. */
	status: ConnStatus;
	/** The last error the server reported on the connection; undefined again once it opens again. */
	error: ActorError | undefined;
}

/** Presence on an actor, as a component sees and sets it. */
export interface UsePresenceResult<D> {
	/** Everyone's presence by connection id (this connection's included). */
	all: ReadonlyMap<string, PresenceOf<D>>;
	/** Everyone else's. */
	others: PresenceOf<D>[];
	/** Sets this client's presence (`null` clears it). */
	set(data: PresenceDataOf<D> | null): Promise<void>;
}

/** The hooks `createTenonReact` makes for one client. */
export interface TenonReact<R> {
	/** Connects to an actor; components asking for the same actor and params share one connection. */
	useActor<N extends keyof ActorsOf<R> & string>(
		options: UseActorOptions<ActorsOf<R>[N], N>,
	): UseActorResult<ActorsOf<R>[N]>;
	/** Calls `handler` for every `name` event on `connection` (the latest handler, no resubscribe). */
	useEvent<D, K extends EventName<EventsOf<D>>>(
		connection: ActorConn<D> | undefined,
		name: K,
		handler: (...args: EventArgsOf<EventsOf<D>, K>) => void,
	): void;
	/** The actor's shared state (`shareState`), kept in step; undefined until it arrived. */
	useActorState<D>(connection: ActorConn<D> | undefined): SharedStateOf<D> | undefined;
	/** Presence on the actor: everyone's, and a setter for this client's. */
	usePresence<D>(connection: ActorConn<D> | undefined): UsePresenceResult<D>;
	/** The connections open now, shared between components. */
	readonly connections: ConnectionCache<ActorConn<never>>;
}

const noop = () => {};
const EMPTY = new Map<string, never>();

/**
 * One string for "which connection": equal options share it, whatever their
 * identity. CBOR, as the client sends the input: a bigint, a Map or a Set in
 * `createWithInput` neither throws (as JSON.stringify did, in render) nor
 * reads as `{}` (two different Maps shared one connection). A key given as a
 * string is the same actor as that string alone in an array, and a plain
 * object's keys count in any order (`{ token, room }` is `{ room, token }`).
 */
export function connectionKey(options: UseActorOptions<unknown>): string {
	const key =
		options.key === undefined ? [] : typeof options.key === "string" ? [options.key] : options.key;
	return bytesToBase64(
		cborEncodeCompat(
			sortedKeys([options.name, key, options.params ?? null, options.createWithInput ?? null]),
		),
	);
}

/**
 * `value` with every plain object's keys in sorted order (arrays, Maps and
 * Sets keep theirs: their order is part of their value). Objects with a
 * prototype of their own (a class instance, a Date) are left as they are.
 */
function sortedKeys(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(sortedKeys);
	if (typeof value !== "object" || value === null) return value;
	const proto = Object.getPrototypeOf(value);
	if (proto !== Object.prototype && proto !== null) return value;
	// `fromEntries` defines each key (a `__proto__` key stays a key, not a prototype).
	return Object.fromEntries(
		Object.keys(value)
			.sort()
			.map((name) => [name, sortedKeys((value as Record<string, unknown>)[name])]),
	);
}

/**
 * Typed React hooks over a client.
 *
 * @example
 * const client = createClient<typeof registry>("http://localhost:6420");
 * export const { useActor, useEvent, useActorState, usePresence } = createTenonReact(client);
 *
 * function Room() {
 *   const { connection, status } = useActor({ name: "chatRoom", key: ["general"], params: { token } });
 *   useEvent(connection, "message", (message) => append(message));
 *   const state = useActorState(connection);
 *   return <p>{status}: {state?.topic}</p>;
 * }
 */
export function createTenonReact<R>(client: Client<R>): TenonReact<R> {
	const cache = new ConnectionCache<ActorConn<never>>();
	const accessors = client as unknown as Record<
		string,
		{ getOrCreate(key: ActorKey | undefined, options: object): { connect(): ActorConn<never> } }
	>;

	// biome-ignore lint/correctness/noComponentHookFactories: the hooks close over one client; createTenonReact runs once, at module level, so each hook keeps one identity.
	function useActor<N extends keyof ActorsOf<R> & string>(
		options: UseActorOptions<ActorsOf<R>[N], N>,
	): UseActorResult<ActorsOf<R>[N]> {
		const enabled = options.enabled !== false;
		const cacheKey = connectionKey(options as UseActorOptions<unknown>);
		const latest = useRef(options);
		latest.current = options;
		// The entry, with the key it was acquired for: until the effect has acquired the
		// entry for new options, the one held is another actor's (or params'), and the
		// render must not hand out its connection.
		const [held, setHeld] = useState<
			{ key: string; entry: CacheEntry<ActorConn<never>> } | undefined
		>(undefined);
		const entry = enabled && held?.key === cacheKey ? held.entry : undefined;
		useEffect(() => {
			if (!enabled) {
				setHeld(undefined);
				return undefined;
			}
			const acquired = cache.acquire(cacheKey, () => {
				const { name, key, params, createWithInput } = latest.current;
				const accessor = accessors[name];
				if (accessor === undefined)
					throw new Error(`useActor: no actor named '${name}' in the registry`);
				return accessor
					.getOrCreate(key, {
						...(params === undefined ? {} : { params }),
						...(createWithInput === undefined ? {} : { createWithInput }),
					})
					.connect();
			});
			setHeld({ key: cacheKey, entry: acquired });
			return () => cache.release(cacheKey);
		}, [cacheKey, enabled]);
		const conn = entry?.conn;
		const status = useSyncExternalStore(
			useCallback((notify: () => void) => conn?.onStatusChange(notify) ?? noop, [conn]),
			() => conn?.connStatus ?? "idle",
			() => "idle" as const,
		);
		const error = useSyncExternalStore(
			useCallback(
				(notify: () => void) => {
					if (entry === undefined) return noop;
					entry.errorListeners.add(notify);
					return () => entry.errorListeners.delete(notify);
				},
				[entry],
			),
			() => entry?.error,
			() => undefined,
		);
		return { connection: conn as ActorConn<ActorsOf<R>[N]> | undefined, status, error };
	}

	// biome-ignore lint/correctness/noComponentHookFactories: the hooks close over one client; createTenonReact runs once, at module level, so each hook keeps one identity.
	function useEvent<D, K extends EventName<EventsOf<D>>>(
		connection: ActorConn<D> | undefined,
		name: K,
		handler: (...args: EventArgsOf<EventsOf<D>, K>) => void,
	): void {
		const latest = useRef(handler);
		// Adopted when its render commits, not during it: a render React sets aside
		// (a transition that suspends, an interrupted one) must not have its
		// handler, and the props and state it closes over, hear the events.
		useLayoutEffect(() => {
			latest.current = handler;
		});
		useEffect(() => {
			if (connection === undefined) return undefined;
			return connection.on(name, (...args) => latest.current(...args));
		}, [connection, name]);
	}

	// biome-ignore lint/correctness/noComponentHookFactories: the hooks close over one client; createTenonReact runs once, at module level, so each hook keeps one identity.
	function useActorState<D>(connection: ActorConn<D> | undefined): SharedStateOf<D> | undefined {
		return useSyncExternalStore(
			useCallback(
				(notify: () => void) => connection?.onSharedState(() => notify()) ?? noop,
				[connection],
			),
			() => connection?.sharedState,
			() => undefined,
		);
	}

	// biome-ignore lint/correctness/noComponentHookFactories: the hooks close over one client; createTenonReact runs once, at module level, so each hook keeps one identity.
	function usePresence<D>(connection: ActorConn<D> | undefined): UsePresenceResult<D> {
		const all = useSyncExternalStore(
			useCallback(
				(notify: () => void) => connection?.onPresence(() => notify()) ?? noop,
				[connection],
			),
			() => connection?.presence ?? (EMPTY as ReadonlyMap<string, PresenceOf<D>>),
			() => EMPTY as ReadonlyMap<string, PresenceOf<D>>,
		);
		const set = useCallback(
			(data: PresenceDataOf<D> | null) =>
				connection === undefined
					? Promise.reject(new Error("usePresence: not connected yet"))
					: connection.setPresence(data),
			[connection],
		);
		const self = connection?.connectionId;
		const others = [...all.values()].filter((entry) => entry.conn !== self);
		return { all, others, set };
	}

	return { useActor, useEvent, useActorState, usePresence, connections: cache };
}
