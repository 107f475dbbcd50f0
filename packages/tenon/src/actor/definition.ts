import {
	RESERVED_ACTION_NAMES,
	SPECIAL_NAMES,
	type WithoutReservedNames,
} from "../protocol/client-members.js";
import type {
	ActionContext,
	ActorContext,
	ActorContextBase,
	ActorWebSocket,
	Conn,
	ConnectContext,
	CreateContext,
	CreateStateContext,
} from "./context.js";
import type { DatabaseProvider } from "./database.js";
import type { AnyEvents, EventDecls } from "./events.js";
import { type ActorOptions, checkActorOptions } from "./options.js";
import { isQueueToken, type QueueDecls } from "./queues.js";
import { isStandardSchema, type StandardSchemaV1 } from "./schema.js";
import { checkStaticValue } from "./static-values.js";

/** An action: a function of the context and the caller's arguments. */
// biome-ignore lint/suspicious/noExplicitAny: any actor definition, whatever its type parameters (a wildcard; `unknown` fails variance checks).
export type ActionFunction<Ctx> = (c: Ctx, ...args: any[]) => any;

/** Actions, possibly in nested groups (`admin.reset` on the wire). */
export interface ActionGroup<Ctx> {
	[name: string]: ActionFunction<Ctx> | NestedActionGroup<Ctx>;
}

/**
 * A group inside `actions`: no action in it may be named `then` or `toJSON` (JavaScript reads
 * them itself; `actor()` refuses them, and the types did not: a typing walkthrough, 2026-11-29).
 */
type NestedActionGroup<Ctx> = ActionGroup<Ctx> & { readonly then?: never; readonly toJSON?: never };

/**
 * Everything an actor definition may contain.
 *
 * Type inference note: `createState`, `createConnState` and `createVars` infer
 * their types from what they return, and TypeScript reads an object literal
 * top to bottom, settling a type at the first function whose context uses it.
 * Write `state`/`createState`, then `vars`/`createVars`, then the connect
 * hooks with `params` annotated, then the other hooks and actions
 * (docs/actors.md, "Type inference"). `createVars`' context has no connection
 * types, so it settles none of them.
 */
export interface ActorConfig<
	S,
	CP,
	CS,
	V,
	I,
	E extends EventDecls,
	Q,
	A,
	D = undefined,
	SS = never,
	PU = null,
	PD = unknown,
	SH extends boolean = false,
> {
	/** Initial state (cloned for each new actor). Use `createState` to compute it from input. */
	state?: S;
	/** Computes the initial state of a new actor from its creation input. */
	createState?: (c: CreateStateContext, input: I) => S | Promise<S>;
	/** Initial ephemeral vars (cloned on every wake). Use `createVars` for non-cloneable values. */
	vars?: V;
	/**
	 * Creates the ephemeral vars on every wake. Its context's connections are
	 * untyped (`c.conns`): typed by the params, it settled them before the
	 * connect hooks' annotations were read.
	 */
	createVars?: (c: ActorContextBase<S, unknown, unknown, E, Q, D>) => V | Promise<V>;
	/** Initial connection state (cloned per connection). */
	connState?: CS;
	/**
	 * Creates a connection's state from its params, after `onBeforeConnect`.
	 * `c.request` is the request that opens the connection.
	 */
	createConnState?: (c: ConnectContext<S, CP, unknown, V, E, Q, D>, params: CP) => CS | Promise<CS>;
	/** Event declarations, for typed `broadcast`, `conn.send` and client `on`. */
	events?: E;
	/** Queue declarations (`queue<Body, Reply>()`), for `c.queue` and client `send`. */
	queues?: Q;
	/** The actor's SQLite database: `db({ onMigrate })` from `tenon/db`, or `tenon/db/drizzle`. */
	db?: DatabaseProvider<D>;
	/** Runs once, when the actor is created, after its state exists. */
	onCreate?: (c: ActorContext<S, CP, CS, V, E, Q, D>, input: I) => void | Promise<void>;
	/** Runs on every wake (including the first), before any request is served. */
	onWake?: (c: ActorContext<S, CP, CS, V, E, Q, D>) => void | Promise<void>;
	/** Runs before the actor sleeps; state changes made here are saved. */
	onSleep?: (c: ActorContext<S, CP, CS, V, E, Q, D>) => void | Promise<void>;
	/** Runs when the actor is destroyed, before its data is deleted. */
	onDestroy?: (c: ActorContext<S, CP, CS, V, E, Q, D>) => void | Promise<void>;
	/**
	 * A background loop started after every wake (not awaited). The actor
	 * stays awake while it works, except while it waits on `c.queue`;
	 * `c.abortSignal` fires when the actor starts to sleep. Or a
	 * {@link RunProvider} such as `workflow(...)` from `tenon/workflow`.
	 */
	run?: (c: ActorContext<S, CP, CS, V, E, Q, D>) => void | Promise<void>;
	/**
	 * Runs before a connection (or a stateless action, queue send or raw
	 * request) is accepted; throw to reject it. `c.request` is the request
	 * (headers, cookies, remote address, token).
	 */
	onBeforeConnect?: (
		c: ConnectContext<S, CP, unknown, V, E, Q, D>,
		params: CP,
	) => void | Promise<void>;
	/**
	 * Runs before an actor of this kind is created for a client (`getOrCreate`,
	 * `create`, `PUT`/`POST /actors`), before anything is stored; throw to
	 * refuse. It sees the key, the decoded input, the caller's params and
	 * request. Without it, any caller who may connect may also create. The
	 * input is typed `unknown`: it is what the client sent, so check it here
	 * (a schema's `safeParse`) before `createState` trusts its type.
	 *
	 * @example
	 * onBeforeCreate: (c, input) => {
	 *   if (c.key[0] !== verifyUser(c.request)) throw new UserError("not yours", { code: "forbidden" });
	 * }
	 */
	onBeforeCreate?: (c: CreateContext, input: unknown) => void | Promise<void>;
	/** Runs once a connection is accepted and visible in `c.conns`. */
	onConnect?: (
		c: ActorContext<S, CP, CS, V, E, Q, D>,
		conn: Conn<CP, CS, E>,
	) => void | Promise<void>;
	/** Runs after a connection closed. */
	onDisconnect?: (
		c: ActorContext<S, CP, CS, V, E, Q, D>,
		conn: Conn<CP, CS, E>,
	) => void | Promise<void>;
	/** Runs at the end of a turn that changed state, before the changes are saved. */
	onStateChange?: (c: ActorContext<S, CP, CS, V, E, Q, D>, state: S) => void;
	/** Transforms an action's output before it is sent. */
	onBeforeActionResponse?: (
		c: ActorContext<S, CP, CS, V, E, Q, D>,
		name: string,
		args: unknown[],
		output: unknown,
	) => unknown;
	/**
	 * Raw HTTP: requests to `/request/*` (and `handle.fetch`). The request's
	 * path is what follows `/request`. The response leaves after the writes
	 * made while handling it are durable.
	 */
	onRequest?: (
		c: ActionContext<S, CP, CS, V, E, Q, D>,
		request: Request,
	) => Response | Promise<Response>;
	/** Raw WebSockets: upgrades to `/websocket/*` (and `handle.webSocket`). */
	onWebSocket?: (
		c: ActionContext<S, CP, CS, V, E, Q, D>,
		websocket: ActorWebSocket,
	) => void | Promise<void>;
	/**
	 * The actor's actions. Nested objects are action groups. (Typed as an
	 * intersection with the unconstrained `A` so TypeScript infers `A` from the
	 * object while still giving every action its context: a constrained type
	 * parameter would not see the connection-state type inferred from
	 * `createConnState`.) Client members (`send`, `connect`, `on`, ...) are
	 * refused as names: the client's handle has them.
	 */
	actions?: A & ActionGroup<ActionContext<S, CP, CS, V, E, Q, D>> & WithoutReservedNames;
	/**
	 * Standard Schema validation (zod, valibot, ...) of action argument lists,
	 * keyed by action name (`"send"`, or `"admin.reset"` for groups). A failing
	 * call gets `request/invalid_args` with the issues; the validated (possibly
	 * transformed) arguments are what the action receives.
	 *
	 * @example
	 * actionInputSchemas: { sendMessage: z.tuple([z.string().min(1).max(2000)]) }
	 */
	actionInputSchemas?: Record<string, StandardSchemaV1>;
	/** Standard Schema validation of connection params, before `onBeforeConnect`. */
	connParamsSchema?: StandardSchemaV1;
	/**
	 * Shares the actor's state with its connections, kept in step after every
	 * committed turn (`conn.sharedState` / `useActorState` on the client):
	 * `true` shares all of it; a function shares a projection, per connection
	 * when it takes the connection (e.g. to leave out others' private fields).
	 * Only what is durable is ever sent.
	 *
	 * @example
	 * shareState: (state, conn) => ({ board: state.board, myNotes: state.notes[conn.state.userId] }),
	 */
	shareState?: SH | ((state: S, conn: Conn<CP, CS, E>) => SS);
	/**
	 * Presence: each client sets its own (`conn.setPresence({ cursor })`), the
	 * others see it; never stored, gone with the connection. `identify` says,
	 * from server-side state, who each connection is.
	 *
	 * @example
	 * presence: { identify: (conn) => ({ name: conn.state.name }), maxPerSecond: 30 },
	 */
	presence?:
		| boolean
		| {
				/** Largest presence a client may set (encoded bytes). Default 1 KiB. */
				maxBytes?: number;
				/** Most updates per connection per second; more are merged (the latest wins). Default 20. */
				maxPerSecond?: number;
				/**
				 * Most presence frames the actor sends per second, all connections
				 * together, one per receiver; past it updates wait their turn. Default 20,000.
				 */
				maxFramesPerSecond?: number;
				identify?: (conn: Conn<CP, CS, E>) => PU;
				schema?: StandardSchemaV1<unknown, PD>;
		  };
	/** Per-actor options. */
	options?: ActorOptions;
}

/** Phantom type information carried by a definition, read by the typed client. */
export interface ActorTypeInfo<
	S,
	CP,
	CS,
	V,
	I,
	E,
	Q,
	A,
	D = undefined,
	SS = never,
	PU = null,
	PD = unknown,
	SH extends boolean = false,
> {
	state: S;
	/**
	 * What `shareState` shares: the state itself for `true` (or a boolean that
	 * may be), a function's projection, nothing (`never`) without it.
	 */
	sharedState: [SS] extends [never] ? (true extends SH ? S : never) : SS;
	/** What `presence.identify` says about a connection. */
	presenceUser: PU;
	/** What a client's presence holds (`presence.schema`'s output). */
	presenceData: PD;
	connParams: CP;
	connState: CS;
	vars: V;
	input: I;
	events: E;
	queues: Q;
	actions: A;
	db: D;
}

/**
 * An actor definition: the value `actor({...})` returns and `setup({ use })`
 * registers. Carries its types for the client.
 */
export class ActorDefinition<
	S,
	CP,
	CS,
	V,
	I,
	E extends EventDecls,
	Q,
	A,
	D = undefined,
	SS = never,
	PU = null,
	PD = unknown,
	SH extends boolean = false,
> {
	/** The configuration as written. */
	readonly config: ActorConfig<S, CP, CS, V, I, E, Q, A, D, SS, PU, PD, SH>;
	/** Phantom: type information only, never set at runtime. */
	declare readonly __types: ActorTypeInfo<S, CP, CS, V, I, E, Q, A, D, SS, PU, PD, SH>;

	constructor(config: ActorConfig<S, CP, CS, V, I, E, Q, A, D, SS, PU, PD, SH>) {
		this.config = config;
	}
}

/** A type argument of {@link AnyActorDefinition}: any. */
// biome-ignore lint/suspicious/noExplicitAny: any actor definition, whatever its type parameters (a wildcard; `unknown` fails variance checks).
type AnyArg = any;

/** Any actor definition. */
export type AnyActorDefinition = ActorDefinition<
	AnyArg,
	AnyArg,
	AnyArg,
	AnyArg,
	AnyArg,
	AnyArg,
	AnyArg,
	AnyArg,
	AnyArg,
	AnyArg,
	AnyArg,
	AnyArg,
	AnyArg
>;

function checkActionNames(group: Record<string, unknown>, path: string[]): void {
	for (const [name, value] of Object.entries(group)) {
		if (name.includes(".")) {
			throw new Error(
				`Action name '${[...path, name].join(".")}' must not contain '.' (dots separate groups)`,
			);
		}
		if (path.length === 0 && RESERVED_ACTION_NAMES.has(name)) {
			throw new Error(
				`Action name '${name}' is reserved: it would hide a client handle method (reserved: ${[...RESERVED_ACTION_NAMES].join(", ")})`,
			);
		}
		// In a group too: the client never calls `admin.then` (`await handle.admin` reads it).
		if (path.length > 0 && SPECIAL_NAMES.has(name)) {
			throw new Error(
				`Action name '${[...path, name].join(".")}' is reserved: JavaScript reads '${name}' itself`,
			);
		}
		if (typeof value === "function") continue;
		if (typeof value === "object" && value !== null) {
			checkActionNames(value as Record<string, unknown>, [...path, name]);
			continue;
		}
		throw new Error(
			`Action '${[...path, name].join(".")}' must be a function or a group of actions`,
		);
	}
}

/**
 * Defines an actor.
 *
 * @example
 * export const counter = actor({
 *   state: { count: 0 },
 *   actions: {
 *     increment: (c, by: number) => {
 *       c.state.count += by;
 *       c.broadcast("changed", c.state.count);
 *       return c.state.count;
 *     },
 *   },
 * });
 */
export function actor<
	S = undefined,
	CP = unknown,
	CS = undefined,
	V = undefined,
	I = unknown,
	E extends EventDecls = AnyEvents,
	Q extends QueueDecls = {},
	A = {},
	D = undefined,
	SS = never,
	PU = null,
	PD = unknown,
	SH extends boolean = false,
>(
	config: ActorConfig<S, CP, CS, V, I, E, Q, A, D, SS, PU, PD, SH>,
): ActorDefinition<S, CP, CS, V, I, E, Q, A, D, SS, PU, PD, SH> {
	if (config.state !== undefined && config.createState !== undefined) {
		throw new Error("An actor takes either `state` or `createState`, not both");
	}
	if (config.vars !== undefined && config.createVars !== undefined) {
		throw new Error("An actor takes either `vars` or `createVars`, not both");
	}
	if (config.connState !== undefined && config.createConnState !== undefined) {
		throw new Error("An actor takes either `connState` or `createConnState`, not both");
	}
	checkStaticValue("state", config.state);
	checkStaticValue("vars", config.vars);
	checkStaticValue("connState", config.connState);
	checkActionNames((config.actions ?? {}) as Record<string, unknown>, []);
	checkPresenceOptions(config.presence);
	checkActorOptions(config.options);
	for (const [name, schema] of Object.entries(config.actionInputSchemas ?? {})) {
		if (!isStandardSchema(schema))
			throw new Error(`actionInputSchemas.${name} is not a Standard Schema`);
	}
	if (config.connParamsSchema !== undefined && !isStandardSchema(config.connParamsSchema)) {
		throw new Error("connParamsSchema is not a Standard Schema");
	}
	for (const [name, declaration] of Object.entries(
		(config.queues ?? {}) as Record<string, unknown>,
	)) {
		if (!isQueueToken(declaration))
			throw new Error(`queues.${name} must be declared with queue<Body, Reply>()`);
	}
	return new ActorDefinition(config);
}

/** Presence's numeric options, checked where the actor is defined (not at its first wake). */
function checkPresenceOptions(presence: unknown): void {
	if (typeof presence !== "object" || presence === null) return;
	const options = presence as Record<string, unknown>;
	for (const name of ["maxBytes", "maxPerSecond", "maxFramesPerSecond"])
		if (options[name] !== undefined && !((options[name] as number) > 0))
			throw new Error(`presence.${name} must be a number above 0`);
}
