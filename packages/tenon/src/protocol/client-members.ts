// Members of client handles and connections. The client proxies every other
// property to an action, so actions must not use these names; the actor
// definition refuses them.

/** Methods of a handle (`client.x.getOrCreate()`), beside its actions. */
export const HANDLE_METHODS: ReadonlySet<string> = new Set([
	"action",
	"connect",
	"resolve",
	"send",
	"fetch",
	"webSocket",
]);

/** Methods of a connection (`handle.connect()`), beside its actions. */
export const CONN_METHODS: ReadonlySet<string> = new Set([
	"action",
	"dispose",
	"on",
	"once",
	"onError",
	"onOpen",
	"onClose",
	"onStatusChange",
	"onSharedState",
	"setPresence",
	"onPresence",
	"send",
]);

/** Read-only properties of a connection. */
export const CONN_PROPERTIES: ReadonlySet<string> = new Set([
	"connStatus",
	"actorId",
	"connectionId",
	"sharedState",
	"presence",
]);

/**
 * Names JavaScript reads or calls itself (`await` reads `then`, `JSON.stringify` calls `toJSON`,
 * a template string `toString` and `valueOf`): no action, in a group or not, takes them, and
 * the client's proxies answer undefined for them. As actions, `JSON.stringify(handle)` sent an
 * action `toJSON` (creating the actor under `getOrCreate`), and its rejection, unhandled, could
 * end a Node process (a walkthrough, 2026-11-28).
 */
export const SPECIAL_NAMES: ReadonlySet<string> = new Set([
	"then",
	"constructor",
	"toJSON",
	"toString",
	"valueOf",
]);

/** Names an action may not take: client members, plus names JavaScript treats specially. */
export const RESERVED_ACTION_NAMES: ReadonlySet<string> = new Set([
	...HANDLE_METHODS,
	...CONN_METHODS,
	...CONN_PROPERTIES,
	...SPECIAL_NAMES,
]);

/**
 * The names no top-level action may take, as a type: `actions` refuses them
 * when it is checked (`Type '...' is not assignable to type 'never'`), and
 * {@link RESERVED_ACTION_NAMES} when the actor is defined. That set less
 * `constructor`, `toString` and `valueOf` (every object literal has them, from `Object.prototype`),
 * checked by test/types/reserved-action-names.test.ts.
 */
export type ReservedActionName =
	| "action"
	| "connect"
	| "resolve"
	| "send"
	| "fetch"
	| "webSocket"
	| "dispose"
	| "on"
	| "once"
	| "onError"
	| "onOpen"
	| "onClose"
	| "onStatusChange"
	| "onSharedState"
	| "setPresence"
	| "onPresence"
	| "connStatus"
	| "actorId"
	| "connectionId"
	| "sharedState"
	| "presence"
	| "then"
	| "toJSON";

/** An `actions` object with none of the reserved names at its top level. */
export type WithoutReservedNames = { readonly [K in ReservedActionName]?: never };
