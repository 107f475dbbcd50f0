// Names on the connection protocol that carry Tenon's built-in sync: the
// shared state and presence. Action names cannot contain dots (dots separate
// action groups), so these never collide with an actor's own actions.

/** The event that carries an actor's shared state: `{ v, snapshot }` or `{ from, v, ops }`. */
export const STATE_EVENT = "tenon.state";

/** The event that carries presence: `{ snapshot: PresenceEntry[] }` or one `PresenceEntry`. */
export const PRESENCE_EVENT = "tenon.presence";

/** The action a client sets its own presence with (`args: [data]`; `null` clears it). */
export const PRESENCE_ACTION = "tenon.presence";

/** One connection's presence as others see it. */
export interface PresenceEntry {
	/** The connection it belongs to. */
	conn: string;
	/** What the actor says about who this is (`presence.identify`), never what the client claims. */
	user: unknown;
	/** What the client set (`null`: it left or cleared it). */
	data: unknown;
}

/** A shared-state message: a full value, or a patch from version `from` to `v`. */
export type StateMessage =
	| { v: number; snapshot: unknown }
	| { from: number; v: number; ops: import("./state-patch.js").PatchOp[] };
